//! Column widths, as the newest libsmartcols lays out a table (learned by watching it).
//!
//! Each column has a minimum (its header's width; without headings 1, or 0 when every
//! cell is empty) and may have a width hint (NS 10, PID 5, ...). A column whose cells all
//! fit in its minimum is as wide as the minimum; otherwise it is as wide as its widest
//! cell, but at least its hint. So `PID` is 3 wide for PIDs of 1 to 3 digits and 5 for 4
//! digits; without headings 1 for 1 digit, 5 for 2 to 4. On a
//! terminal two more rules apply: spare room on the line lets the columns still below
//! their hint grow toward it, and when the line is too long the truncatable columns
//! (COMMAND) give up width.

/// What the layout needs to know about a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fit {
    /// The widest cell (tree glyphs included).
    pub data: usize,
    /// The header's width, `None` when no header is printed.
    pub header: Option<usize>,
    /// The preferred width, 0 for none.
    pub hint: usize,
    /// May be cut to fit the terminal.
    pub trunc: bool,
}

impl Fit {
    fn min(&self) -> usize {
        self.header.unwrap_or(self.data.min(1))
    }
}

/// The width of a column before the terminal is considered.
pub(crate) fn base_width(c: &Fit) -> usize {
    if c.data <= c.min() {
        c.min()
    } else {
        c.data.max(c.hint)
    }
}

/// The widths of all columns on a line of `term` columns (`None`: not a terminal). The
/// line is the widths plus one separating space between neighbours.
pub(crate) fn widths(cols: &[Fit], term: Option<usize>) -> Vec<usize> {
    let mut w: Vec<usize> = cols.iter().map(base_width).collect();
    let Some(term) = term else { return w };
    let line = w.iter().sum::<usize>() + w.len().saturating_sub(1);
    if line < term {
        grow_to_hints(cols, &mut w, term - line);
    } else if line > term {
        cut(cols, &mut w, line - term);
    }
    w
}

/// Hands out `spare` positions one at a time to the columns below their hint, from the
/// rightmost to the leftmost and round again, until the room or the hints run out.
fn grow_to_hints(cols: &[Fit], w: &mut [usize], mut spare: usize) {
    while spare > 0 {
        let mut grew = false;
        for i in (0..cols.len()).rev() {
            if spare > 0 && w[i] < cols[i].hint {
                w[i] += 1;
                spare -= 1;
                grew = true;
            }
        }
        if !grew {
            return;
        }
    }
}

/// Takes `excess` positions from the truncatable columns, none below its minimum (at
/// least 1); what is still too long overflows the line.
fn cut(cols: &[Fit], w: &mut [usize], mut excess: usize) {
    for (i, c) in cols.iter().enumerate() {
        if !c.trunc || excess == 0 {
            continue;
        }
        let floor = c.min().max(1).min(w[i]);
        let give = (w[i] - floor).min(excess);
        w[i] -= give;
        excess -= give;
    }
}

/// The width of the terminal for a `TIOCGWINSZ` answer of `ioctl` columns: a terminal that
/// reports 0 columns is as wide as `$COLUMNS` says (a decimal number from 1 to
/// `i32::MAX`, as `strtol` reads it, nothing after it), else 80.
pub fn terminal_columns(ioctl: usize, columns_env: Option<&[u8]>) -> usize {
    if ioctl > 0 {
        return ioctl;
    }
    columns_env.and_then(parse_columns).unwrap_or(80)
}

fn parse_columns(v: &[u8]) -> Option<usize> {
    let v = v.trim_ascii_start();
    let digits = v.strip_prefix(b"+").unwrap_or(v);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: i32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    usize::try_from(n).ok().filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(data: usize, header: Option<usize>, hint: usize) -> Fit {
        Fit { data, header, hint, trunc: false }
    }

    /// PID (header 3, hint 5), NPROCS (header 6, hint 5), TYPE (header 4, hint 5), NS
    /// (header 2, hint 10) and unhinted columns, with and without headings (`None`), for
    /// cells of every width from empty to wider than every hint.
    #[test]
    fn base_widths_for_many_data_widths() {
        let cases: &[(Option<usize>, usize, [usize; 13])] = &[
            // (header, hint, width for data = 0..=12)
            (Some(3), 5, [3, 3, 3, 3, 5, 5, 6, 7, 8, 9, 10, 11, 12]),
            (None, 5, [0, 1, 5, 5, 5, 5, 6, 7, 8, 9, 10, 11, 12]),
            (Some(6), 5, [6, 6, 6, 6, 6, 6, 6, 7, 8, 9, 10, 11, 12]),
            (Some(4), 5, [4, 4, 4, 4, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
            (Some(2), 10, [2, 2, 2, 10, 10, 10, 10, 10, 10, 10, 10, 11, 12]),
            (None, 10, [0, 1, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 12]),
            (Some(7), 0, [7, 7, 7, 7, 7, 7, 7, 7, 8, 9, 10, 11, 12]),
            (None, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        ];
        for &(header, hint, expect) in cases {
            for (data, &want) in expect.iter().enumerate() {
                assert_eq!(base_width(&fit(data, header, hint)), want, "data {data} header {header:?} hint {hint}");
            }
        }
    }

    /// `-o NS,TYPE,PPID,PID,COMMAND` with PIDs up to 4 digits, PPIDs of 1 digit and
    /// commands 12 wide: the line is 39 without a terminal.
    fn five() -> Vec<Fit> {
        vec![
            fit(10, Some(2), 10),
            fit(3, Some(4), 5),
            fit(1, Some(4), 5),
            fit(4, Some(3), 5),
            Fit { trunc: true, ..fit(12, Some(7), 0) },
        ]
    }

    #[test]
    fn spare_room_grows_hinted_columns_from_the_right() {
        let w = |t| widths(&five(), t);
        assert_eq!(w(None), [10, 4, 4, 5, 12]);
        assert_eq!(w(Some(39)), [10, 4, 4, 5, 12]);
        assert_eq!(w(Some(40)), [10, 4, 5, 5, 12]);
        assert_eq!(w(Some(41)), [10, 5, 5, 5, 12]);
        assert_eq!(w(Some(500)), [10, 5, 5, 5, 12]);
        // two positions short of the hint on the right, one on the left: round-robin
        let cols = [fit(4, Some(4), 5), fit(1, Some(3), 5)];
        assert_eq!(widths(&cols, Some(9)), [4, 4]);
        assert_eq!(widths(&cols, Some(10)), [5, 4]);
        assert_eq!(widths(&cols, Some(11)), [5, 5]);
        // without headings a 1-wide column grows too
        assert_eq!(widths(&[fit(1, None, 5), fit(1, None, 0)], Some(80)), [5, 1]);
    }

    #[test]
    fn a_short_line_cuts_the_truncatable_column_down_to_its_header() {
        let w = |t| widths(&five(), t);
        assert_eq!(w(Some(38)), [10, 4, 4, 5, 11]);
        assert_eq!(w(Some(34)), [10, 4, 4, 5, 7]);
        assert_eq!(w(Some(20)), [10, 4, 4, 5, 7]);
        // without headings a column is cut down to one position
        let cols = [fit(10, None, 10), Fit { trunc: true, ..fit(100, None, 0) }];
        assert_eq!(widths(&cols, Some(30)), [10, 19]);
        assert_eq!(widths(&cols, Some(5)), [10, 1]);
        // nothing to cut: the line overflows
        assert_eq!(widths(&[fit(10, Some(2), 10), fit(30, Some(4), 0)], Some(20)), [10, 30]);
    }
    #[test]
    fn terminal_width_from_ioctl_or_columns() {
        assert_eq!(terminal_columns(132, Some(b"40")), 132);
        assert_eq!(terminal_columns(0, None), 80);
        for (v, w) in [
            (&b"40"[..], 40),
            (b" +45", 45),
            (b"\t040", 40),
            (b"2147483647", 2147483647),
            (b"0", 80),
            (b"-5", 80),
            (b"40 ", 80),
            (b"30x", 80),
            (b"0x30", 80),
            (b"2147483648", 80),
            (b"", 80),
            (b"+", 80),
        ] {
            assert_eq!(terminal_columns(0, Some(v)), w, "{v:?}");
        }
    }
}
