//! Values: files, --set flags, precedence, subchart scoping, schema validation.
