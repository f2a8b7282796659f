//! Unit tests of the schannel renderers' own words.

use super::table::advice_without_import;

#[test]
fn the_import_sentence_is_cut_from_a_fix_advice() {
    assert_eq!(
        advice_without_import("Only once X. Import it (double-click), then restart."),
        "Only once X."
    );
    assert_eq!(advice_without_import("Import, then restart"), "");
}
