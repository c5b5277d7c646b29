//! Zynk's document and small file tasks (CSV, Excel, JSON, XML Repeater, Log Info Message, Find
//! and Replace, Remove Characters, List Files, Zip Files) to their Wharf components
//! (docs/documents.md, docs/file-tasks.md; the mapping is in docs/wkf-import.md).

use super::{Run, Src};
use crate::model::{ZValue, ZynkTask};
use crate::report::{Flagged, SecretNote};
use crate::yaml::NodeYaml;
use std::collections::BTreeMap;

/// Zynk's compression levels (.NET `Ionic.Zlib.CompressionLevel` names: `Zero` … `Nine`,
/// `Level0` … `Level9`, `None`, `BestSpeed`, `Default`, `BestCompression`) as 0–9.
fn compression_level(name: &str) -> Option<u8> {
    const WORDS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let lower = name.trim().to_ascii_lowercase();
    if let Some(i) = WORDS.iter().position(|w| *w == lower) {
        return u8::try_from(i).ok();
    }
    match lower.as_str() {
        "none" => Some(0),
        "bestspeed" => Some(1),
        "default" => Some(6),
        "bestcompression" => Some(9),
        _ => lower
            .strip_prefix("level")
            .and_then(|d| d.parse().ok())
            .filter(|l| *l <= 9),
    }
}

impl Run<'_> {
    /// Fills `node` and `out` for a document or file class; false when `t` is not one.
    pub(super) fn map_documents(
        &mut self,
        t: &ZynkTask,
        src: &mut Src,
        node: &mut NodeYaml,
        out: &mut BTreeMap<String, String>,
    ) -> bool {
        let task = match t.class.as_str() {
            "Zynk.Documents.CSV.CsvToXml" => {
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                self.zo(src, t, "Separator", "separator", out);
                self.zo(src, t, "Delimiter", "delimiter", out);
                self.zo(src, t, "Encoding", "encoding", out);
                self.plain(src, "Headers", "include-headers", out);
                self.plain(src, "IncludeHeaders", "include-headers", out);
                self.table_shape(t, src, out);
                "csv-to-xml"
            }
            "Zynk.Documents.Excel.ExcelToXmlTask" => {
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                self.zo(src, t, "WorksheetName", "worksheet-name", out);
                self.plain(src, "IncludeHeaders", "include-headers", out);
                self.plain(src, "Headers", "include-headers", out);
                self.table_shape(t, src, out);
                "excel-to-xml"
            }
            "Zynk.Documents.Json.JsonToXml" => {
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                self.zo(src, t, "RootElementName", "root-element-name", out);
                self.zo(src, t, "Root", "root-element-name", out);
                "json-to-xml"
            }
            "Zynk.Documents.Json.XmlToJson" => {
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                self.plain(src, "OmitRootObject", "omit-root-object", out);
                self.plain(src, "Indent", "indent", out);
                "xml-to-json"
            }
            "Zynk.Documents.XML.XmlRepeaterTask" => {
                self.zo(src, t, "InputFile", "input-file", out);
                self.zo(src, t, "XPathQuery", "xpath-query", out);
                "xml-repeater"
            }
            "Zynk.UserInterface.LogInfoMessage" => {
                self.zo(src, t, "Input", "input", out);
                "log-info-message"
            }
            "Zynk.Filesystem.FindAndReplaceText" => {
                self.edit_files(t, src, out);
                self.zo(src, t, "Find", "find", out);
                self.zo(src, t, "Replace", "replace", out);
                "find-and-replace-text"
            }
            "Zynk.Filesystem.RemoveCharactersFromFile" => {
                self.edit_files(t, src, out);
                if let Some(v) = src.zo("Match").filter(|v| !v.is_empty()) {
                    self.remove_setting(t, &v, out);
                }
                "remove-characters"
            }
            "Zynk.Filesystem.ListFiles" => {
                self.zo(src, t, "Folder", "folder", out);
                self.zo(src, t, "OutputFile", "output-file", out);
                self.plain(src, "Recursive", "recursive", out);
                self.zo(src, t, "SearchPattern", "search-pattern", out);
                "list-files"
            }
            "Zynk.Filesystem.ZipFiles" => {
                if let Some(v) = src.zo("Files").filter(|v| !v.is_empty()) {
                    let items: Vec<String> = if v.items.is_empty() {
                        vec![v.text.clone()]
                    } else {
                        v.items.iter().map(|i| i.text.clone()).collect()
                    };
                    out.insert("files".into(), items.join(";"));
                    self.flag_list(t, "Files", &v);
                }
                self.zo(src, t, "OutputFile", "output-file", out);
                if let Some(level) = src.plain("CompressionLevel") {
                    match compression_level(&level) {
                        Some(l) => {
                            out.insert("compression-level".into(), l.to_string());
                        }
                        None => self.report.flagged.push(Flagged {
                            task: t.name.clone(),
                            setting: "CompressionLevel".into(),
                            original: level,
                            why: "not a compression level the importer knows: the default (9) applies".into(),
                        }),
                    }
                }
                if src.zo("Password").is_some_and(|v| !v.is_empty()) {
                    self.report.secrets.push(SecretNote {
                        found: format!("task `{}`: setting Password", t.name),
                        instead: "left out: a zip password is a setting in Wharf, which workflow files should not hold; set `password` from a variable given with --var".into(),
                    });
                }
                self.plain(src, "PrependTimestamp", "prepend-timestamp", out);
                self.plain(src, "TimestampFormat", "timestamp-format", out);
                "zip-files"
            }
            _ => return false,
        };
        node.task = Some(task.into());
        // A setting the component needs that the .wkf leaves empty (or took from the previous
        // task's output): the task is converted but disabled until it is filled in.
        let needed: &[&str] = match task {
            "log-info-message" => &["input"],
            "find-and-replace-text" => &["find"],
            "remove-characters" => &["remove"],
            "zip-files" => &["files"],
            "xml-repeater" => &["input-file", "xpath-query"],
            "csv-to-xml" | "excel-to-xml" | "json-to-xml" | "xml-to-json" => &["input-file"],
            _ => &[],
        };
        self.require(t, node, out, needed, Missing::Disable);
        true
    }

    /// Root, row and column names and the element/attribute choice of CSV and Excel to XML.
    fn table_shape(&mut self, t: &ZynkTask, src: &mut Src, out: &mut BTreeMap<String, String>) {
        self.zo(src, t, "Root", "root", out);
        self.zo(src, t, "Row", "row", out);
        self.zo(src, t, "Column", "column-name-prefix", out);
        self.plain(src, "ExportAsElements", "export-as-elements", out);
    }

    /// The input, output and overwrite settings of the text-editing tasks.
    fn edit_files(&mut self, t: &ZynkTask, src: &mut Src, out: &mut BTreeMap<String, String>) {
        self.zo(src, t, "InputFile", "input-file", out);
        self.zo(src, t, "OutputFile", "output-file", out);
        self.plain(src, "OverwriteInputFile", "overwrite-input-file", out);
        // Writing over the input, Zynk ignores the output file; so does Wharf, but a
        // component refuses an output file naming the input unless overwrite is set.
        if out.get("overwrite-input-file").is_some_and(|v| v == "true")
            && out.get("output-file") == out.get("input-file")
        {
            out.remove("output-file");
        }
    }

    /// Remove Characters' `Match` (text, characters or a list of texts) as `remove` and its
    /// mode: single characters stay characters, one text is a text, several texts become a
    /// regular expression of the escaped alternatives (exact, as none spans a line).
    fn remove_setting(&mut self, t: &ZynkTask, v: &ZValue, out: &mut BTreeMap<String, String>) {
        self.flag_list(t, "Match", v);
        let items: Vec<String> = if v.items.is_empty() {
            vec![v.text.clone()]
        } else {
            v.items
                .iter()
                .map(|i| i.text.clone())
                .filter(|s| !s.is_empty())
                .collect()
        };
        if items.is_empty() {
            return;
        }
        let (remove, mode) = if items.iter().all(|i| i.chars().count() == 1) {
            (items.concat(), "characters")
        } else if items.len() == 1 {
            (items[0].clone(), "text")
        } else {
            (
                items
                    .iter()
                    .map(|i| regex::escape(i))
                    .collect::<Vec<_>>()
                    .join("|"),
                "regex",
            )
        };
        out.insert("remove".into(), remove);
        out.insert("remove-mode".into(), mode.into());
    }

    /// A list's items are taken as they stand; one with a Razor or variable value is flagged.
    fn flag_list(&mut self, t: &ZynkTask, setting: &str, v: &ZValue) {
        if v.items
            .iter()
            .any(|i| i.razor || i.kind != "StaticValue" && i.kind != "FileValue")
        {
            self.report.flagged.push(Flagged {
                task: t.name.clone(),
                setting: setting.into(),
                original: v
                    .items
                    .iter()
                    .map(|i| i.text.clone())
                    .collect::<Vec<_>>()
                    .join(";"),
                why:
                    "a list item is a variable or Razor expression: taken as literal text, check it"
                        .into(),
            });
        }
    }

    /// Whether every setting in `needed` has a value; when one has not, flags it and either
    /// disables the converted task (`Disable`: `wharf validate` accepts it so) or asks for a
    /// placeholder (`Placeholder`: the component refuses the task even disabled).
    pub(super) fn require(
        &mut self,
        t: &ZynkTask,
        node: &mut NodeYaml,
        out: &BTreeMap<String, String>,
        needed: &[&str],
        otherwise: Missing,
    ) -> bool {
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|s| out.get(*s).is_none_or(|v| v.trim().is_empty()))
            .collect();
        if missing.is_empty() {
            return true;
        }
        let wharf = node.task.clone().unwrap_or_default();
        let outcome = match otherwise {
            Missing::Disable => {
                node.enabled = false;
                "imported disabled; set it and enable the task".to_string()
            }
            Missing::Placeholder => {
                format!("kept as a placeholder; fill it in and make the task `{wharf}`")
            }
        };
        self.report.flagged.push(Flagged {
            task: t.name.clone(),
            setting: missing.join(", "),
            original: "(empty, or the previous task's output)".into(),
            why: format!(
                "`{wharf}` needs {}, which the .wkf leaves empty: {outcome}",
                missing.join(" and ")
            ),
        });
        false
    }
}

/// What [`Run::require`] does when a needed setting is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Missing {
    Disable,
    Placeholder,
}

#[cfg(test)]
mod tests {
    use super::compression_level;

    #[test]
    fn compression_level_names() {
        for (name, level) in [
            ("Nine", 9),
            ("None", 0),
            ("BestSpeed", 1),
            ("Level5", 5),
            ("Default", 6),
        ] {
            assert_eq!(compression_level(name), Some(level), "{name}");
        }
        assert_eq!(compression_level("Loud"), None);
        assert_eq!(compression_level("Level12"), None);
    }
}
