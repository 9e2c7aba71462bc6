//! Name search that tolerates script and transliteration: "Шымкент", "Shymkent" and
//! "Chimkent" all find Shymkent. Names are folded to a Latin skeleton (Cyrillic
//! transliterated, case and diacritics dropped, look-alike spellings merged) and
//! matched by prefix, then by substring; [`distance`] ranks near misses.

/// Folds a name to its search key.
pub fn fold(text: &str) -> String {
    let mut latin = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'а' | 'ә' => latin.push('a'),
            'б' => latin.push('b'),
            'в' => latin.push('v'),
            'г' | 'ғ' => latin.push('g'),
            'д' => latin.push('d'),
            'е' | 'ё' | 'э' | 'é' | 'è' => latin.push('e'),
            'ж' => latin.push_str("zh"),
            'з' => latin.push('z'),
            'и' | 'й' | 'і' | 'ы' | 'ı' | 'ī' | 'í' => latin.push('i'),
            'к' | 'қ' => latin.push('k'),
            'л' => latin.push('l'),
            'м' => latin.push('m'),
            'н' | 'ң' => latin.push('n'),
            'о' | 'ө' | 'ö' | 'ó' | 'ò' => latin.push('o'),
            'п' => latin.push('p'),
            'р' => latin.push('r'),
            'с' => latin.push('s'),
            'т' => latin.push('t'),
            'у' | 'ұ' | 'ү' | 'ў' | 'ü' | 'ú' => latin.push('u'),
            'ф' => latin.push('f'),
            'х' | 'һ' | 'ҳ' => latin.push('h'),
            'ц' => latin.push_str("ts"),
            'ч' | 'ҷ' => latin.push_str("ch"),
            'ш' | 'щ' | 'ş' => latin.push_str("sh"),
            'ю' => latin.push_str("yu"),
            'я' => latin.push_str("ya"),
            'q' => latin.push('k'),
            'ç' => latin.push_str("ch"),
            'ğ' => latin.push('g'),
            'ñ' => latin.push('n'),
            'ъ' | 'ь' | '\'' | '’' | 'ʻ' | 'ʼ' | '`' => {}
            c if c.is_alphanumeric() => latin.push(c),
            _ => latin.push(' '),
        }
    }
    // Merge spellings that differ between Russian, Kazakh and English renderings.
    let merged = latin
        .replace("kh", "h")
        .replace("ch", "sh")
        .replace("yu", "u")
        .replace("ya", "a")
        .replace('y', "i")
        .replace('j', "zh")
        .replace('x', "h");
    merged.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How well `query` (already folded) matches a folded name: 2 prefix, 1 substring.
pub fn score(query: &str, folded_name: &str) -> u8 {
    if folded_name.starts_with(query) {
        2
    } else if folded_name.contains(query) {
        1
    } else {
        0
    }
}

/// How far apart two folded names are: the Levenshtein distance over characters
/// (insertions, deletions and substitutions), used to suggest the closest names when
/// nothing matches.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_spellings_meet() {
        assert_eq!(fold("Шымкент"), fold("Shymkent"));
        assert_eq!(fold("Chimkent"), fold("Shymkent"));
        assert_eq!(fold("Алматы"), fold("Almaty"));
        assert_eq!(fold("Ташкент"), fold("Tashkent"));
        assert_eq!(fold("Хорог"), fold("Khorog"));
        assert_eq!(fold("Душанбе"), fold("Dushanbe"));
        assert_eq!(score(&fold("shym"), &fold("Шымкент")), 2);
        assert_eq!(fold("Toshkent"), "toshkent");
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("shimkent", "shimkent"), 0);
        assert_eq!(distance(&fold("Shymkend"), &fold("Шымкент")), 1);
    }
}
