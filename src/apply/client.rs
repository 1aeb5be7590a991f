//! Client-side apply of one object.
