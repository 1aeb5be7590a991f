//! Test table for [`super::Constraint`]: rows are (constraint, version,
//! expected match). Most rows come from Masterminds semver v3.4's
//! `constraints_test.go` (`TestConstraintCheck`, `TestConstraintsCheck`);
//! versions are read with [`super::parse_version`], as the Go tests read them
//! with `NewVersion`. Rows marked "ketch" are ours.

pub(crate) const CHECKS: &[(&str, &str, bool)] = &[
    // --- exact and `=` (partial versions are tilde ranges) ---
    ("=2.0.0", "1.2.3", false),
    ("=2.0.0", "2.0.0", true),
    ("=2.0", "1.2.3", false),
    ("=2.0", "2.0.0", true),
    ("=2.0", "2.0.1", true),
    ("= 2.0", "2.0.0", true),
    ("4.1", "4.1.0", true),
    ("4.1.x", "4.1.3", true),
    ("1.x", "1.4", true),
    ("=0", "1", false),
    ("0.x.x", "1.2.3", false),
    ("0.0.x", "1.2.3", false),
    ("0.0.0", "1.2.3", false),
    ("2", "1", false),
    ("2", "3.4.5", false),
    ("2", "2.1.1", true),
    ("2.1", "2.1.1", true),
    ("2.1", "2.2.1", false),
    ("v1.2", "1.2.7", true),   // ketch
    ("1.2.3", "1.2.4", false), // ketch: a full version is exact, not ^
    ("1.2.3", "v1.2.3", true), // ketch
    ("1.02.3", "1.2.3", true), // ketch: leading zeros coerced
    // --- `!=` ---
    ("!=4.1.0", "4.1.0", false),
    ("!=4.1.0", "4.1.1", true),
    ("!=4.1", "4.1.0", false),
    ("!=4.1", "4.1.1", false),
    ("!=4.1", "5.1.0-alpha.1", false),
    ("!=4.1.0", "5.1.0-alpha.1", false),
    ("!=4.1-alpha", "4.1.0", true),
    ("!=4.1-alpha", "4.1.0-alpha", false),
    ("!=4.1-alpha", "4.1.1-alpha", false),
    ("!=4.1", "5.1.0", true),
    ("!=4.x", "5.1.0", true),
    ("!=4.x", "4.1.0", false),
    ("!=4.1.x", "4.2.0", true),
    ("!=4.2.x", "4.2.3", false),
    // --- `<`, `<=` ---
    ("<11", "0.1.0", true),
    ("<11", "11.1.0", false),
    ("<1.1", "0.1.0", true),
    ("<1.1", "1.1.0", false),
    ("<1.1", "1.1.1", false),
    ("<1.x", "1.1.1", false),
    ("<1.x", "0.1.1", true),
    ("<1.x", "2.0.0", false),
    ("<1.1.x", "1.2.1", false),
    ("<1.1.x", "1.1.500", false),
    ("<1.1.x", "1.0.500", true),
    ("<1.2.x", "1.1.1", true),
    ("<=11", "1.2.3", true),
    ("<=11", "12.2.3", false),
    ("<=11", "11.2.3", true),
    ("<=1.1", "1.2.3", false),
    ("<=1.1", "0.1.0", true),
    ("<=1.1", "1.1.0", true),
    ("<=1.1", "1.1.1", true),
    ("<=1.x", "1.1.0", true),
    ("<=2.x", "3.0.0", false),
    ("<=1.1.x", "1.2.500", false),
    ("<=4.5", "3.4.0", true),
    ("<=4.5", "3.7.0", true),
    ("<=4.5", "4.6.3", false),
    ("<=1.2.3", "1.2.3", true),  // ketch
    ("<=1.2.3", "1.2.4", false), // ketch
    // --- `>`, `>=` ---
    (">1.1", "4.1.0", true),
    (">1.1", "1.1.0", false),
    (">0", "0", false),
    (">0", "1", true),
    (">11", "11.1.0", false),
    (">11.1", "11.1.0", false),
    (">11.1", "11.1.1", false),
    (">11.1", "11.2.1", true),
    (">1.2.3", "1.2.4", true),  // ketch
    (">1.2.3", "1.2.3", false), // ketch
    (">=11", "11.1.2", true),
    (">=11.1", "11.1.2", true),
    (">=11.1", "11.0.2", false),
    (">=1.1", "4.1.0", true),
    (">=1.1", "1.1.0", true),
    (">=1.1", "0.0.9", false),
    (">=0", "0", true),
    ("=>1.2", "1.2.0", true),
    ("=<1.2", "1.2.9", true),
    (">=1.x", "1.0.0", true),  // ketch
    (">=1.x", "0.9.9", false), // ketch
    // --- wildcards ---
    ("*", "1", true),
    ("*", "4.5.6", true),
    ("*", "1.2.3-alpha.1", false),
    ("*-0", "1.2.3-alpha.1", true),
    ("x", "0.0.0", true),     // ketch
    ("X.X.X", "9.9.9", true), // ketch
    ("2.*", "1", false),
    ("2.*", "3.4.5", false),
    ("2.*", "2.1.1", true),
    ("2.1.*", "2.1.1", true),
    ("2.1.*", "2.2.1", false),
    ("1.x.3", "1.9.0", true), // ketch: parts after a wildcard are ignored
    ("", "1", true),
    ("", "4.5.6", true),
    ("", "1.2.3-alpha.1", false),
    ("   ", "0.1.0", true), // ketch
    // --- tilde ---
    ("~1.2.3", "1.2.4", true),
    ("~1.2.3", "1.3.4", false),
    ("~1.2", "1.2.4", true),
    ("~1.2", "1.3.4", false),
    ("~1", "1.2.4", true),
    ("~1", "2.3.4", false),
    ("~0.2.3", "0.2.5", true),
    ("~0.2.3", "0.3.5", false),
    ("~1.2.3-beta.2", "1.2.3-beta.4", true),
    ("~1.2.3-beta.2", "1.2.4-beta.2", true),
    ("~1.2.3-beta.2", "1.3.4-beta.2", false),
    ("~0.0.0", "1.2.3", true),
    ("~*", "2.1.1", true),
    ("~1", "2.1.1", false),
    ("~1", "1.3.5", true),
    ("~1", "1.4", true),
    ("~1", "1.3.5-beta", false),
    ("~1.x", "2.1.1", false),
    ("~1.x", "1.3.5", true),
    ("~1.x", "1.3.5-beta", false),
    ("~1.1", "1.1.1", true),
    ("~1.1", "1.1.1-alpha", false),
    ("~1.1-alpha", "1.1.1-beta", true),
    ("~1.1.1-beta", "1.1.1-alpha", false),
    ("~1.1.1-beta", "1.1.1", true),
    ("~1.3.6-alpha", "1.3.5-beta", false),
    ("~1.3.5-alpha", "1.3.5-beta", true),
    ("~1.2.3", "1.2.5", true),
    ("~1.2.3", "1.2.2", false),
    ("~1.2.3", "1.3.2", false),
    ("~1.1", "1.2.3", false),
    ("~1.3", "2.4.5", false),
    ("~>1.2", "1.2.9", true),  // ketch
    ("~>1.2", "1.3.0", false), // ketch
    ("~0", "0.9.9", true),     // ketch
    ("~0.0", "0.1.0", false),  // ketch
    // --- caret ---
    ("^1.2.3", "1.8.9", true),
    ("^1.2.3", "2.8.9", false),
    ("^1.2.3", "1.2.1", false),
    ("^1.1.0", "2.1.0", false),
    ("^1.2.0", "2.2.1", false),
    ("^1.2.0", "1.2.1-alpha.1", false),
    ("^1.2.0-alpha.0", "1.2.1-alpha.1", true),
    ("^1.2.0-alpha.0", "1.2.1-alpha.0", true),
    ("^1.2.0-alpha.2", "1.2.0-alpha.1", false),
    ("^1.2", "1.8.9", true),
    ("^1.2", "2.8.9", false),
    ("^1", "1.8.9", true),
    ("^1", "2.8.9", false),
    ("^0.2.3", "0.2.5", true),
    ("^0.2.3", "0.5.6", false),
    ("^0.2", "0.2.5", true),
    ("^0.2", "0.5.6", false),
    ("^0.0.3", "0.0.3", true),
    ("^0.0.3", "0.0.4", false),
    ("^0.0", "0.0.3", true),
    ("^0.0", "0.1.4", false),
    ("^0.0", "1.0.4", false),
    ("^0", "0.2.3", true),
    ("^0", "1.1.4", false),
    ("^0.2.3-beta.2", "0.2.3-beta.4", true),
    ("^0.2.3-beta.2", "0.2.4-beta.2", true),
    ("^0.2.3-beta.2", "0.3.4-beta.2", false),
    ("^0.2.3-beta.2", "0.2.3-beta.2", true),
    ("^0.0.0", "1.2.3", false),
    ("^1.1", "1.1.1", true),
    ("^1.1", "4.3.2", false),
    ("^1.1", "1.1.1-alpha", false),
    ("^1.1.1-alpha", "1.1.1-beta", true),
    ("^1.1.1-beta", "1.1.1-alpha", false),
    ("^1.x", "1.1.1", true),
    ("^2.x", "1.1.1", false),
    ("^1.x", "2.1.1", false),
    ("^1.x", "1.1.1-beta1", false),
    ("^1.1.2-alpha", "1.2.1-beta1", true),
    ("^1.2.x-alpha", "1.1.1-beta1", false),
    ("^0.0.1", "0.0.1", true),
    ("^0.0.1", "0.3.1", false),
    ("^0.0.1", "0.1.3", false),
    ("^0.0.x", "0.0.7", true),  // ketch: ^0.0.x is >=0.0.0 <0.1.0
    ("^0.0.x", "0.1.0", false), // ketch
    ("^0.x", "0.9.1", true),    // ketch: ^0.x is >=0.0.0 <1.0.0
    ("^0.x", "1.0.0", false),   // ketch
    ("^0.2.x", "0.2.9", true),  // ketch
    ("^0.2.x", "0.3.0", false), // ketch
    ("^*", "3.1.4", true),      // ketch: deliberate, Masterminds gives false
    ("<=*", "3.1.4", true),     // ketch: deliberate, Masterminds gives false
    // --- prereleases (the group rule of Masterminds v3.4) ---
    (">0", "0.0.1-alpha", false),
    (">0.0", "0.0.1-alpha", false),
    (">0-0", "0.0.1-alpha", false),
    (">0.0-0", "0.0.1-alpha", false),
    (">0", "0.0.0-alpha", false),
    (">0-0", "0.0.0-alpha", false),
    (">0.0.0-0", "0.0.0-alpha", true),
    (">1.2.3-alpha.1", "1.2.3-alpha.2", true),
    (">1.2.3-alpha.1", "1.3.3-alpha.2", true),
    (">=0", "0.0.1-alpha", false),
    (">=0.0", "0.0.1-alpha", false),
    (">=0-0", "0.0.1-alpha", true),
    (">=0.0-0", "0.0.1-alpha", true),
    (">=0", "0.0.0-alpha", false),
    (">=0-0", "0.0.0-alpha", true),
    (">=0.0.0-0", "0.0.0-alpha", true),
    (">=0.0.0-0", "1.2.3", true),
    (">=0.0.0-0", "3.4.5-beta.1", true),
    ("<0", "0.0.0-alpha", false),
    ("<0-z", "0.0.0-alpha", true),
    (">=1.1", "4.1.0-beta", false),
    ("<=1.1", "0.1.0-alpha", false),
    ("<=1.1-a", "0.1.0-alpha", true),
    ("> 1.2.3", "1.2.3-beta.1", false),
    (">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", true),
    (">= 1.0.0  <= 2.0.0-beta", "1.0.1", true),
    (">= 1.0.0  <= 2.0.0-beta", "3.0.0", false),
    (">= 1.0.0  <= 2.0.0-beta || > 3", "1.0.1-beta", true),
    (">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false),
    (
        ">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3",
        "1.0.1-beta",
        true,
    ),
    (
        ">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3",
        "1.0.1-beta",
        false,
    ),
    (">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", true),
    (">=1.20.0-0", "v1.35.0-gke.1", true), // ketch: kubeVersion as charts write it
    (">=1.20.0", "v1.35.0-gke.1", false),  // ketch
    (">=1.20.0-0 <1.36.0-0", "v1.35.0-gke.1", true), // ketch
    (">=1.20.0-0 <1.35.0-0", "v1.35.0-gke.1", false), // ketch
    (">=1.20.0-0 || >=1.20", "1.21.0-rc.1", true), // ketch: any group may admit it
    (">=1.20 || <1.0.0-0", "1.21.0-rc.1", false), // ketch
    // --- AND (comma and whitespace) and OR ---
    (">1.1, <2", "1.1.1", false),
    (">1.1, <2", "1.2.1", true),
    (">1.1, <3", "4.3.2", false),
    (">=1.1, <2, !=1.2.3", "1.2.3", false),
    (">1.1 <2", "1.1.1", false),
    (">1.1 <2", "1.2.1", true),
    (">1.1    <3", "4.3.2", false),
    (">=1.1    <2    !=1.2.3", "1.2.3", false),
    (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true),
    (">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false),
    (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true),
    (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false),
    (">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false),
    (">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true),
    (">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", true),
    ("> 1.1, <     2", "1.1.1", false),
    (">   1.1, <2", "1.2.1", true),
    (">= 1.1, <     2, !=1.2.3", "1.2.3", false),
    ("> 1.1 < 2", "1.1.1", false),
    (">1.1 < 2", "1.2.1", true),
    (">=1.1    < 2    != 1.2.3", "1.2.3", false),
    (">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true),
    (">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", false),
    ("12.3.34 ~1.2.3", "12.3.34", false), // ketch: both must hold
    (">=1.2.3,<2", "1.9.0", true),        // ketch: comma without spaces
    ("1.2.3 ,1.2.3", "1.2.3", true),      // ketch
    ("^1||^2", "2.5.0", true),            // ketch: no spaces around ||
    ("\t>=1.2\n<2\r", "1.5.0", true),     // ketch: any whitespace separates
    // --- hyphen ranges ---
    ("1.1 - 2", "1.1.1", true),
    ("1.5.0 - 4.5", "3.7.0", true),
    ("1.1 - 3", "4.3.2", false),
    ("1.1-3", "4.3.2", false), // no spaces: version 1.1 with prerelease "3"
    ("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true),
    ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true),
    ("1.2 - 1.4.5", "1.2.0", true),         // ketch
    ("1.2 - 1.4.5", "1.4.5", true),         // ketch
    ("1.2 - 1.4.5", "1.4.6", false),        // ketch
    ("1.2 - 1.4.5", "1.1.9", false),        // ketch
    ("1.2 - 1.4", "1.4.9", true),           // ketch: <= 1.4 takes all of 1.4.x
    ("1.2 - 1.4", "1.5.0", false),          // ketch
    ("v1.0.0 - v2", "2.9.9", true),         // ketch
    ("1.0.0-rc.1 - 2", "1.0.0-rc.2", true), // ketch
    ("2 - 3 || 5 - 6", "4.0.0", false),     // ketch
    ("2 - 3 || 5 - 6", "5.5.0", true),      // ketch
    (">=1, 1.2 - 1.3", "1.2.5", true),      // ketch
    (">=1 1.2 - 1.3", "1.2.5", true),       // ketch: deliberate, Masterminds rejects it
    (">=1 1.2 - 1.3", "1.4.0", false),      // ketch
];

/// Invalid constraints, each with a fragment the error must contain.
pub(crate) const INVALID: &[(&str, &str)] = &[
    ("foo", "expected a version, found \"foo\""),
    (">= bar", "expected a version after \">=\", found \"bar\""),
    ("BAR >= 1.2.3", "expected a version, found \"BAR\""),
    ("12.3.4.1234", "more than three numeric parts"),
    ("12.23.4.1234", "more than three numeric parts"),
    ("12.3.34.1234", "more than three numeric parts"),
    ("12.3.34~ 1.2.3", "unexpected \"~\" after \"12.3.34\""),
    ("1.2 -1.3", "whitespace on both sides"),
    ("1.2- 1.3", "whitespace on both sides"),
    ("1.2 ||", "empty alternative"),
    ("|| 1.2", "nothing before \"||\""),
    ("1.2 || || 1.3", "empty alternative"),
    ("1.2 | 1.3", "alternatives are separated by \"||\""),
    ("1.2 |", "alternatives are separated by \"||\""),
    ("1.2,", "must be followed by another comparator"),
    ("1.2, || 1.3", "must be followed by another comparator"),
    (", 1.2", "expected a version, found \",\""),
    ("1.2,,1.3", "expected a version, found \",\""),
    (">=1.2 - 1.4", "cannot have an operator"),
    ("1.2 - >=1.4", "after \"-\" in a hyphen range"),
    (
        "1.2 - ",
        "after \"-\" in a hyphen range, found end of input",
    ),
    ("1 - 2 - 3", "expected a version, found \"-\""),
    (">=", "expected a version after \">=\", found end of input"),
    ("> = 1.2", "expected a version after \">\", found \"=\""),
    ("==1.2", "expected a version after \"=\", found \"=1.2\""),
    ("V1.2", "expected a version, found \"V1.2\""),
    ("1.", "minor part"),
    ("1.2.", "patch part"),
    ("1.2.3-", "expected a prerelease"),
    ("1.2.3-01", "leading zero"),
    ("1.2.3-a..b", "empty prerelease identifier"),
    ("1.2.3+", "build metadata"),
    ("1.2.3abc", "unexpected \"a\" after \"1.2.3\""),
    ("1x", "unexpected \"x\" after \"1\""),
    ("≥1.2", "expected a version, found \"≥1.2\""),
    ("99999999999999999999", "too large"),
];
