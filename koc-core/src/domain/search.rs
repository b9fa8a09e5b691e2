//! Folding names for a desk search that ignores case and accents.

/// `text` in lower case, with accents and special letters spelled in ASCII
/// (`Østergård` → `ostergard`, `López` → `lopez`), so that a search typed on
/// any keyboard finds the patron.
///
/// ```
/// assert_eq!(koc_core::fold_for_search("Østergård, Åse"), "ostergard, ase");
/// ```
pub fn fold_for_search(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// The words a patron can be found by: the folded surname and first names,
/// split on anything that is not a letter or digit, without repeats.
///
/// ```
/// assert_eq!(koc_core::search_tokens(["López-Díaz", "María José"]), ["lopez", "diaz", "maria", "jose"]);
/// ```
pub fn search_tokens<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for name in names {
        for token in fold_for_search(name).split(|c: char| !c.is_alphanumeric()) {
            if !token.is_empty() && !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_owned());
            }
        }
    }
    tokens
}
