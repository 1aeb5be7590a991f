//! Loading charts from directories and archives, including hostile ones.
