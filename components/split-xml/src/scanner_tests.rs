//! The content scanner against the event path it replaced: the same inputs split both ways
//! must give the same chunk files byte for byte, or the same error, whatever the size of the
//! blocks the input arrives in (so every construct is also seen cut at every place).

use std::fs;

use super::*;
use crate::split::TEST_READING;

/// Read block sizes the scanner is tried with: tiny ones cut every construct everywhere.
const BLOCKS: [usize; 13] = [1, 2, 3, 4, 5, 7, 8, 13, 16, 64, 256, 4096, 256 * 1024];

type Chunks = Vec<(String, Vec<u8>)>;

/// A refused split: the error's message without its position, and the position.
#[derive(Debug)]
struct Refusal {
    message: String,
    position: Option<u64>,
}

impl Refusal {
    fn new(error: SplitError) -> Self {
        let position = match &error {
            // quick-xml keeps no position for these (it reports the last one it kept).
            SplitError::Xml {
                source:
                    quick_xml::Error::Encoding(_)
                    | quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::MissingEndTag(_)),
                ..
            } => None,
            SplitError::Xml { position, .. } => Some(*position),
            _ => None,
        };
        let message = error.to_string();
        let message = match message.split_once(" near byte ") {
            Some((before, after)) => {
                let rest = after.split_once(':').map_or("", |(_, rest)| rest);
                format!("{before}:{rest}")
            }
            None => message,
        };
        Refusal { message, position }
    }

    /// The same error, at the same place if the event path knew it. A UTF-8 fault is only
    /// named as one: quick-xml describes it from the start of the piece of text or markup it
    /// was making a string of, the scanner from the bad sequence's first byte.
    fn same_as(&self, events: &Refusal) -> bool {
        const UTF8: &str = "cannot decode input using UTF-8";
        let same_message = match (
            self.message.split_once(UTF8),
            events.message.split_once(UTF8),
        ) {
            (Some((scanner, _)), Some((by_events, _))) => scanner == by_events,
            _ => self.message == events.message,
        };
        same_message && events.position.is_none_or(|p| self.position == Some(p))
    }
}

/// Splits `xml` once by events (quick-xml's `read_to_end`, an event per inner tag: the path
/// before the scanner) and then by the scanner in blocks of every size in [`BLOCKS`], asserts
/// that every outcome is the first one, and returns it: the chunks' names and bytes, or the
/// error's message (the scanner's errors have a position also where quick-xml had none).
fn same_as_events(xml: &[u8], query: &str, limit: usize) -> Result<Chunks, String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("records.xml");
    fs::write(&input, xml).unwrap();
    let outcome = |by_events: bool, block: usize| {
        let out = dir.path().join(format!("out-{by_events}-{block}"));
        TEST_READING.set(Some((by_events, block)));
        let result = split(&input, query, limit, &out, NameFormat::Number);
        TEST_READING.set(None);
        result
            .map(|summary| {
                summary
                    .files
                    .iter()
                    .map(|f| {
                        let name = f.file_name().unwrap().to_string_lossy().into_owned();
                        (name, fs::read(f).unwrap())
                    })
                    .collect::<Chunks>()
            })
            .map_err(Refusal::new)
    };
    let by_events = outcome(true, 256 * 1024);
    for block in BLOCKS {
        let scanned = outcome(false, block);
        let same = match (&scanned, &by_events) {
            (Ok(scanned), Ok(by_events)) => scanned == by_events,
            (Err(scanned), Err(by_events)) => scanned.same_as(by_events),
            _ => false,
        };
        assert!(
            same,
            "scanner (blocks of {block}) vs events on\n{}\n  scanner: {scanned:?}\n  events:  {by_events:?}",
            String::from_utf8_lossy(xml)
        );
    }
    by_events.map_err(|refusal| refusal.message)
}

/// `records` inside `<Company><Products>…</Products></Company>`, each record on its own line.
fn products_with(records: &[&str]) -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company>\n  <Products>\n");
    for record in records {
        xml.push_str("    ");
        xml.push_str(record);
        xml.push('\n');
    }
    xml.push_str("  </Products>\n</Company>\n");
    xml
}

/// Splits products two a chunk both ways and returns the chunks as text.
fn split_products(records: &[&str]) -> Vec<String> {
    let chunks = same_as_events(
        products_with(records).as_bytes(),
        "/Company/Products/Product",
        2,
    )
    .unwrap();
    chunks
        .into_iter()
        .map(|(_, bytes)| String::from_utf8(bytes).unwrap())
        .collect()
}

/// The error message of a split of `records` that must fail both ways.
fn refused(records: &[&str]) -> String {
    same_as_events(
        products_with(records).as_bytes(),
        "/Company/Products/Product",
        2,
    )
    .unwrap_err()
}

#[test]
fn cdata_holding_markup_and_end_tags_is_copied_whole() {
    let record = "<Product><Note><![CDATA[</Product> <Product> a < b && c ]] ]> > ]]]]></Note><Sku>1</Sku></Product>";
    let chunks = split_products(&[
        record,
        "<Product><![CDATA[]]></Product>",
        "<Product><Sku>3</Sku></Product>",
    ]);
    assert!(chunks[0].contains(record), "{}", chunks[0]);
    assert!(chunks[0].contains("<Product><![CDATA[]]></Product>"));
    assert!(chunks[1].contains("<Sku>3</Sku>"));
}

#[test]
fn comments_holding_markup_are_copied_whole() {
    let record = "<Product><!-- </Product> <Product> & - -> > --><!----><!-- a ---><Sku>1</Sku><!--\n--></Product>";
    let chunks = split_products(&[record, "<Product><Sku>2</Sku></Product>"]);
    assert!(chunks[0].contains(record), "{}", chunks[0]);
}

#[test]
fn processing_instructions_holding_markup_are_copied_whole() {
    let record = "<Product><?pi a > b </Product> ? > ?><?xml-stylesheet href=\"a?b\"?><??><?xml version=\"1.0\"?><Sku>1</Sku></Product>";
    let chunks = split_products(&[record, "<Product><Sku>2</Sku></Product>"]);
    assert!(chunks[0].contains(record), "{}", chunks[0]);
}

#[test]
fn attribute_values_holding_angle_brackets_do_not_end_tags() {
    let record = "<Product a=\"x > y\"><Name b='</Product>' c=\"/>\" d='\"' e=\"'\">v</Name><Empty f=\"x>y\"/><Multi\n  g = \"1\"\n  h='>'\n>t</Multi\n></Product>";
    let chunks = split_products(&[record, "<Product><Sku>2</Sku></Product>"]);
    assert!(chunks[0].contains(record), "{}", chunks[0]);
}

#[test]
fn quoted_values_across_the_tag_scans_16_byte_steps_end_tags_alike() {
    // The tag scan pairs quotes 16 bytes a step for 64 bytes, then hands its state to the
    // parser's own scan: values of every length put quotes, and `>` inside them, on each side
    // of every step's edge and of the hand-over.
    let mut records = Vec::new();
    for len in 0..80 {
        let filler: String = "v>'".chars().cycle().take(len).collect();
        let double = format!("<Sku a=\"{filler}\">{len}</Sku>");
        let single = format!("<Sku  b='{}' c=\"'\"/>", filler.replace('\'', "\""));
        records.push(format!("<Product>{double}{single}</Product>"));
        records.push(format!("<Product n=\"{filler}\"/>"));
    }
    let records: Vec<&str> = records.iter().map(String::as_str).collect();
    let chunks = split_products(&records);
    assert_eq!(chunks.len(), 80);
    assert!(chunks[79].contains("<Sku a=\"v>'v>"), "{}", chunks[79]);
    // Cut off inside a long quoted value: refused alike.
    let cut = format!("<Product><Sku a=\"{}", "v>'".repeat(30));
    let refusal = same_as_events(
        format!("<Company><Products>{cut}").as_bytes(),
        "/Company/Products/Product",
        1,
    )
    .unwrap_err();
    assert!(refusal.contains("is not well-formed XML"), "{refusal}");
}

#[test]
fn nested_elements_of_the_record_name_stay_inside_it() {
    let record = "<Product><Product><Product/><Product a=\"1\">x</Product></Product><Parts><Product>y</Product></Parts></Product>";
    let chunks = split_products(&[
        record,
        "<Product/>",
        "<Product></Product>",
        "<Product><Product></Product></Product>",
    ]);
    assert!(chunks[0].contains(record), "{}", chunks[0]);
    assert!(chunks[1].contains("<Product></Product>\n    <Product><Product></Product></Product>"));
}

#[test]
fn references_and_multibyte_text_are_copied_as_written() {
    let record = "<Product><Name>A &amp; B &#169; &#x263A; &custom; &; Zoë €5 😀 Ærø</Name><Sku>é</Sku></Product>";
    let chunks = split_products(&[record, record, record]);
    assert!(chunks[0].contains(record), "{}", chunks[0]);
    assert!(chunks[1].contains(record));
}

#[test]
fn prefixed_names_whitespace_in_end_tags_and_a_doctype_inside_a_record() {
    let xml = "<?xml version=\"1.0\"?>\n<c:Company xmlns:c=\"urn:c\">\n  <c:Products>\n    <c:Product><c:Sku >1</c:Sku\n  ></c:Product >\n    <c:Product><!DOCTYPE x [<!ELEMENT x (#PCDATA)> <!-- > -->]><c:Sku>2</c:Sku></c:Product>\n  </c:Products>\n</c:Company>\n";
    let chunks = same_as_events(xml.as_bytes(), "/c:Company/c:Products/c:Product", 1).unwrap();
    assert_eq!(chunks.len(), 2);
    let first = String::from_utf8(chunks[0].1.clone()).unwrap();
    assert!(
        first.contains("<c:Product><c:Sku >1</c:Sku\n  ></c:Product >"),
        "{first}"
    );
}

#[test]
fn end_tags_of_names_holding_quotes_run_to_the_first_unquoted_angle_bracket() {
    // quick-xml takes a name up to the first whitespace, quotes included, and an end tag to
    // the first `>` outside quotes: `</x"y>` does not end at its `>` (the scanner's shortcut
    // for `</name>` must not apply to such names).
    for (record, found) in [
        ("<Product><x\"y z\">1</x\"y>\"></Product>", "`</x\"y>\">`"),
        (
            "<Product><x\"y z\">1</x\"y \">\"></Product>",
            "`</x\"y \">`",
        ),
    ] {
        let refusal = refused(&[record]);
        assert!(
            refusal.contains("expected `</x\"y>`") && refusal.contains(found),
            "{refusal}"
        );
    }
    let chunks = split_products(&[
        "<Product><x\"y\">1</x\"y\"></Product>",
        "<Product><Sku>2</Sku></Product>",
    ]);
    assert!(
        chunks[0].contains("<Product><x\"y\">1</x\"y\"></Product>"),
        "{}",
        chunks[0]
    );
}

#[test]
fn elements_off_the_path_are_skipped_past_every_construct() {
    let xml = products_with(&[
        "<Product><Sku>1</Sku></Product>",
        "<Archive><![CDATA[</Archive>]]><!-- </Archive> --><?pi </Archive>?><x a='</Archive>'/><Archive>inner</Archive></Archive>",
        "<Product><Sku>2</Sku></Product>",
    ]);
    let chunks = same_as_events(xml.as_bytes(), "/Company/Products/Product", 10).unwrap();
    let chunk = String::from_utf8(chunks[0].1.clone()).unwrap();
    assert!(!chunk.contains("Archive"), "{chunk}");
    assert!(chunk.contains("<Sku>2</Sku>"));
}

#[test]
fn faults_inside_records_are_refused_alike() {
    for records in [
        // An end tag that does not match, also one with attributes, and a stray one.
        &["<Product><Sku>4</Skew></Product>"][..],
        &["<Product><Sku>4</Sku a=\"1\"></Product>"],
        &["<Product><Sku>4</Sku></Sku></Product>"],
        &["<Product><Sku>4</Product>"],
        // A `&` without its `;` before the next `<` or `&`.
        &["<Product><Name>A & B</Name></Product>"],
        &["<Product><Name>A &amp B &amp;</Name></Product>"],
        // Markup that is not a comment, CDATA section, DOCTYPE or processing instruction.
        &["<Product><!x></Product>"],
        &["<Product><!-x--></Product>"],
        &["<Product><![CDAT[x]]></Product>"],
        &["<Product><?></Product>"],
        &["<Product><!DOCTYPE></Product>"],
        // The fault in the second record, after a whole first one.
        &[
            "<Product><Sku>1</Sku></Product>",
            "<Product><Sku>2</Sku><A></B></Product>",
        ],
    ] {
        let message = refused(records);
        assert!(message.contains("is not well-formed XML"), "{message}");
    }
}

#[test]
fn bytes_that_are_not_utf8_are_refused_alike() {
    for bad in [
        &b"\xff"[..],
        b"\xc3",
        b"\xe2\x82",
        b"\xe2\x82<x/>",
        b"\xf0\x9f\x98",
        b"\xed\xa0\x80",
    ] {
        let mut xml = b"<Company><Products><Product><Sku>1</Sku></Product><Product><Name>".to_vec();
        xml.extend_from_slice(bad);
        xml.extend_from_slice(b"</Name></Product></Products></Company>");
        let message = same_as_events(&xml, "/Company/Products/Product", 1).unwrap_err();
        assert!(message.contains("is not well-formed XML"), "{message}");
    }
}

#[test]
fn input_ending_inside_a_record_is_refused_alike() {
    let whole = "<Company><Products><Product><Sku a=\"1\">1 &amp; é</Sku><!-- c --><![CDATA[d]]><?p i?><E/></Product></Products></Company>";
    let start = whole.find("<Product>").unwrap() + "<Product>".len();
    let end = whole.find("</Product>").unwrap() + "</Product>".len();
    for cut in start..end {
        let Some(truncated) = whole.get(..cut) else {
            continue; // inside é
        };
        let message =
            same_as_events(truncated.as_bytes(), "/Company/Products/Product", 1).unwrap_err();
        assert!(message.contains("is not well-formed XML"), "{message}");
    }
    // Also cut inside the two bytes of é.
    let cut = whole.find('é').unwrap() + 1;
    same_as_events(&whole.as_bytes()[..cut], "/Company/Products/Product", 1).unwrap_err();
}

/// A small deterministic generator (xorshift), so the mixed documents are the same every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }
}

/// Content of a record: elements (some named like the record), text with references and
/// non-ASCII characters, comments, CDATA sections and processing instructions, nested up to
/// `depth`.
fn mixed_content(random: &mut Random, depth: usize, out: &mut String) {
    for _ in 0..random.below(6) {
        match random.below(8) {
            0 | 1 if depth > 0 => {
                let name = random.pick(&["Product", "Sku", "p:Name", "Item"]);
                let attributes =
                    random.pick(&["", " a=\"1 > 0\"", " b='</Product>'", "\n  c=\"/>\" "]);
                if random.below(4) == 0 {
                    out.push_str(&format!("<{name}{attributes}/>"));
                } else {
                    out.push_str(&format!("<{name}{attributes}>"));
                    mixed_content(random, depth - 1, out);
                    out.push_str(&format!("</{name}{}>", random.pick(&["", " ", "\n"])));
                }
            }
            2 => out.push_str(random.pick(&[
                "text",
                " é € 😀 ",
                "a &amp; b",
                "&#169;&custom;",
                "x > y",
                "\n      ",
            ])),
            3 => out.push_str(random.pick(&["<!-- </Product> -->", "<!---->", "<!-- - -> --->"])),
            4 => out.push_str(random.pick(&["<![CDATA[</Product> <x> & ]] ]]]]>", "<![CDATA[]]>"])),
            5 => out.push_str(random.pick(&["<?pi </Product> > ?>", "<??>", "<?x?>"])),
            _ => out.push_str(random.pick(&["1", "Ærø", ""])),
        }
    }
}

#[test]
fn mixed_documents_split_alike() {
    for seed in 1..=12u64 {
        let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut records = Vec::new();
        for _ in 0..30 {
            let mut content = String::new();
            mixed_content(&mut random, 3, &mut content);
            records.push(format!("<Product>{content}</Product>"));
        }
        let records: Vec<&str> = records.iter().map(String::as_str).collect();
        let chunks = split_products(&records);
        assert_eq!(chunks.len(), 15);
        // One fault somewhere in the same documents is refused alike.
        let mut faulty = products_with(&records);
        let at = faulty.len() / 2;
        let at = (at..faulty.len())
            .find(|&i| faulty.is_char_boundary(i) && faulty[i..].starts_with('<'))
            .unwrap();
        faulty.insert_str(at, random.pick(&["<A></B>", "&x", "<!x>", "</Q>"]));
        let _ = same_as_events(faulty.as_bytes(), "/Company/Products/Product", 2);
    }
}

/// What may stand between records in their parent: white space of every kind, text,
/// references, comments, CDATA, processing instructions, elements off the path (holding
/// elements named like a record), empty and attributed records, names that only start like
/// the record's.
fn between_records(random: &mut Random, out: &mut String) {
    for _ in 0..random.below(4) {
        out.push_str(random.pick(&[
            "\n    ",
            "\r\n\t",
            " \u{c} ",
            "",
            "stray text",
            " &amp; ",
            "&#10;",
            "<!-- <Product>x</Product> -->",
            "<![CDATA[<Product>]]>",
            "<?pi <Product> ?>",
            "<Other a=\"<Product>\"><Product>inside</Product></Other>",
            "<Other/>",
            "<Product/>",
            "<Product a='1' b=\"x>y\" />",
            "<Productx>p</Productx>",
            "<p:Product>q</p:Product>",
            "<Product\n  a=\"1\"\n>attributed</Product\n>",
            "é 😀",
        ]));
    }
}

/// A products document whose records' parent holds everything [`between_records`] makes, and
/// its records mixed content if `mixed`.
fn mixed_parent(random: &mut Random, records: usize, mixed: bool) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<Company>\n  <Products a=\"1\">");
    for n in 0..records {
        between_records(random, &mut xml);
        xml.push_str(&format!("<Product><Sku>{n}</Sku>"));
        if mixed {
            mixed_content(random, 2, &mut xml);
        }
        xml.push_str("</Product>");
    }
    between_records(random, &mut xml);
    xml.push_str(
        "</Products>\n  <Products>\n    <Product>again</Product>\n  </Products>\n</Company>\n",
    );
    xml
}

#[test]
fn everything_between_records_is_read_alike() {
    for seed in 1..=8u64 {
        let mut random = Random(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let xml = mixed_parent(&mut random, 12, true);
        for limit in [1, 2, 5] {
            let chunks = same_as_events(xml.as_bytes(), "/Company/Products/Product", limit)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{xml}"));
            assert!(chunks.len() >= 13 / limit, "seed {seed}");
        }
        // One fault between records is refused alike, wherever it is.
        for fault in ["<A></B>", "&x", "<!x>", "</Q>", "<", "&", "\u{0}"] {
            let mut faulty = xml.clone();
            let at = faulty.find("<Product><Sku>5").unwrap();
            faulty.insert_str(at, fault);
            let _ = same_as_events(faulty.as_bytes(), "/Company/Products/Product", 2);
        }
        // A byte that is not UTF-8 in a record's start tag and between records.
        let mut bytes = xml.clone().into_bytes();
        let at = xml.find("<Product><Sku>3").unwrap();
        bytes.insert(at + 4, 0xff);
        bytes.insert(at - 1, 0xfe);
        same_as_events(&bytes, "/Company/Products/Product", 2).unwrap_err();
    }
}

#[test]
fn input_cut_anywhere_between_records_is_refused_alike() {
    // (Cuts inside records' content: `input_ending_inside_a_record_is_refused_alike`.)
    let mut random = Random(7);
    let xml = mixed_parent(&mut random, 3, false);
    let start = xml.find("<Products").unwrap();
    let end = xml.find("</Products>").unwrap() + "</Products>".len();
    assert!((150..400).contains(&(end - start)), "{xml}");
    for cut in start..end {
        let Some(truncated) = xml.get(..cut) else {
            continue; // inside a character
        };
        let message =
            same_as_events(truncated.as_bytes(), "/Company/Products/Product", 1).unwrap_err();
        assert!(message.contains("is not well-formed XML"), "{message}");
    }
}

#[test]
fn records_of_deeper_and_prefixed_paths_and_several_parents() {
    let xml = "<a:R xmlns:a=\"urn:a\"><a:S>\n\t<a:T>\n\t\t<a:U n=\"1\"/>\n\t\t<a:U>2</a:U>\n\t\t<!-- c --><a:U>3</a:U>&amp;\n\t\t<a:U>4</a:U>\n\t</a:T>\n\t<a:T/>\n\t<a:T><a:U>5</a:U></a:T></a:S></a:R>";
    let chunks = same_as_events(xml.as_bytes(), "/a:R/a:S/a:T/a:U", 2).unwrap();
    let texts: Vec<String> = chunks
        .iter()
        .map(|(_, bytes)| String::from_utf8(bytes.clone()).unwrap())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[0].contains("\n\t\t<a:U n=\"1\"/>\n\t\t<a:U>2</a:U>\n\t</a:T>"),
        "{}",
        texts[0]
    );
    // After a reference, the white space before the next record is its indentation.
    assert!(
        texts[1].contains("<a:T><a:U>3</a:U>\n\t\t<a:U>4</a:U>"),
        "{}",
        texts[1]
    );
    assert!(texts[2].contains("<a:T><a:U>5</a:U></a:T>"), "{}", texts[2]);
}
