//! Plain-text tables for the terminal.

use std::io::Write;

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Padded on the right (text).
    Left,
    /// Padded on the left (numbers).
    Right,
}

/// A table with a header row, written with columns padded to their widest cell.
///
/// ```
/// use bo_cli::{Align, Table};
/// let mut t = Table::new(&[("name", Align::Left), ("n", Align::Right)]);
/// t.row(vec!["a".into(), "10".into()]);
/// let mut out = Vec::new();
/// t.write(&mut out)?;
/// assert_eq!(String::from_utf8(out)?, "name   n\n----  --\na     10\n");
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            header: columns.iter().map(|(h, _)| h.to_string()).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are blank, extra cells are dropped).
    pub fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
    }

    /// Number of rows, header excluded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header, a rule of dashes and the rows; no trailing spaces.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let width = |i: usize| {
            self.rows.iter().map(|r| r[i].chars().count()).chain([self.header[i].chars().count()]).max().unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        for cells in [&self.header, &rule].into_iter().chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = widths[i] - cell.chars().count();
                let last = i + 1 == cells.len();
                match self.align[i] {
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(cell);
                    }
                    Align::Left => {
                        line.push_str(cell);
                        if !last {
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &Table) -> String {
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let mut t = Table::new(&[("number", Align::Right), ("state", Align::Left), ("value", Align::Right)]);
        t.row(vec!["0".into(), "COMPLETE".into(), "1.5".into()]);
        t.row(vec!["12".into(), "FAILED".into(), String::new()]);
        let expected = [
            "number  state     value",
            "------  --------  -----",
            "     0  COMPLETE    1.5",
            "    12  FAILED",
        ];
        assert_eq!(render(&t), expected.join("\n") + "\n");
    }

    #[test]
    fn a_table_without_rows_prints_its_header() {
        let t = Table::new(&[("name", Align::Left)]);
        assert!(t.is_empty());
        assert_eq!(render(&t), "name\n----\n");
    }
}
