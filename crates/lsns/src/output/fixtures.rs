//! The renderers against output the newest util-linux printed for one real set of
//! namespaces: tables made by hand with its values must print its bytes, kept below.

use super::*;
use crate::columns::Column;

const CMD: &str = "/usr/bin/unshare -U -r -u -i -n -f sh -c hostname fixture; sleep 300 & exec sleep 300";

fn cols(names: &[Column], tree: Option<Column>) -> Vec<Col> {
    names
        .iter()
        .map(|&c| Col {
            name: c.name(),
            kind: c.kind(),
            right: c.right_aligned(),
            hint: c.width_hint(),
            tree: Some(c) == tree,
            multiline: c == Column::Nsfs,
            trunc: c == Column::Command,
        })
        .collect()
}

fn table(names: &[Column], tree: Option<Column>, rows: &[(&[&str], Option<usize>)]) -> Table {
    super::tests::table("namespaces", cols(names, tree), rows)
}

fn show(t: &Table, mode: Mode, utf8: bool) -> String {
    let mut s = Style::new(mode);
    s.utf8 = utf8;
    String::from_utf8(render(t, &s)).unwrap()
}

use Column::*;
const DEFAULT: &[Column] = &[Ns, Type, Nprocs, Pid, User, Command];

/// The eight namespaces of process 20278 with the default columns.
fn task_table() -> Table {
    let k = "kthreadd";
    table(
        DEFAULT,
        Some(Command),
        &[
            (&["4026531832", "mnt", "68", "2", "root", k], None),
            (&["4026531834", "time", "69", "2", "root", k], None),
            (&["4026531835", "cgroup", "69", "2", "root", k], None),
            (&["4026531836", "pid", "69", "2", "root", k], None),
            (&["4026532177", "user", "3", "20275", "root", CMD], None),
            (&["4026532178", "uts", "3", "20275", "root", CMD], None),
            (&["4026532179", "ipc", "3", "20275", "root", CMD], None),
            (&["4026532180", "net", "3", "20275", "root", CMD], None),
        ],
    )
}

#[test]
fn default_table() {
    let expect = format!(
        "        NS TYPE   NPROCS   PID USER COMMAND
4026531832 mnt        68     2 root kthreadd
4026531834 time       69     2 root kthreadd
4026531835 cgroup     69     2 root kthreadd
4026531836 pid        69     2 root kthreadd
4026532177 user        3 20275 root {CMD}
4026532178 uts         3 20275 root {CMD}
4026532179 ipc         3 20275 root {CMD}
4026532180 net         3 20275 root {CMD}
"
    );
    assert_eq!(show(&task_table(), Mode::Table, false), expect);
}

#[test]
fn raw() {
    let c = CMD.replace(' ', "\\x20");
    let expect = format!(
        "NS TYPE NPROCS PID USER COMMAND
4026531832 mnt 68 2 root kthreadd
4026531834 time 69 2 root kthreadd
4026531835 cgroup 69 2 root kthreadd
4026531836 pid 69 2 root kthreadd
4026532177 user 3 20275 root {c}
4026532178 uts 3 20275 root {c}
4026532179 ipc 3 20275 root {c}
4026532180 net 3 20275 root {c}
"
    );
    assert_eq!(show(&task_table(), Mode::Raw, true), expect);
}

#[test]
fn net_columns() {
    let t = table(
        &[Ns, Type, Nprocs, Pid, User, Netnsid, Nsfs, Command],
        Some(Command),
        &[(&["4026532180", "net", "3", "20275", "root", "unassigned", "", CMD], None)],
    );
    let expect = format!(
        "        NS TYPE NPROCS   PID USER    NETNSID NSFS COMMAND
4026532180 net       3 20275 root unassigned      {CMD}
"
    );
    assert_eq!(show(&t, Mode::Table, false), expect);
}

#[test]
fn many_columns() {
    let t = table(
        &[Ns, Type, Path, Nprocs, Pid, Ppid, Uid, User, Netnsid, Nsfs, Pns, Ons],
        None,
        &[
            (&["4026531832", "mnt", "/proc/2/ns/mnt", "68", "2", "0", "0", "root", "", "", "0", "4026531837"], None),
            (&["4026531834", "time", "/proc/2/ns/time", "69", "2", "0", "0", "root", "", "", "0", "4026531837"], None),
            (
                &["4026531835", "cgroup", "/proc/2/ns/cgroup", "69", "2", "0", "0", "root", "", "", "0", "4026531837"],
                None,
            ),
            (&["4026531836", "pid", "/proc/2/ns/pid", "69", "2", "0", "0", "root", "", "", "0", "4026531837"], None),
            (
                &[
                    "4026532177",
                    "user",
                    "/proc/20275/ns/user",
                    "3",
                    "20275",
                    "20273",
                    "0",
                    "root",
                    "",
                    "",
                    "4026531837",
                    "4026531837",
                ],
                None,
            ),
            (
                &[
                    "4026532178",
                    "uts",
                    "/proc/20275/ns/uts",
                    "3",
                    "20275",
                    "20273",
                    "0",
                    "root",
                    "",
                    "",
                    "0",
                    "4026532177",
                ],
                None,
            ),
            (
                &[
                    "4026532179",
                    "ipc",
                    "/proc/20275/ns/ipc",
                    "3",
                    "20275",
                    "20273",
                    "0",
                    "root",
                    "",
                    "",
                    "0",
                    "4026532177",
                ],
                None,
            ),
            (
                &[
                    "4026532180",
                    "net",
                    "/proc/20275/ns/net",
                    "3",
                    "20275",
                    "20273",
                    "0",
                    "root",
                    "unassigned",
                    "",
                    "0",
                    "4026532177",
                ],
                None,
            ),
        ],
    );
    let expect =
        "        NS TYPE   PATH                NPROCS   PID  PPID UID USER    NETNSID NSFS        PNS        ONS
4026531832 mnt    /proc/2/ns/mnt          68     2     0   0 root                          0 4026531837
4026531834 time   /proc/2/ns/time         69     2     0   0 root                          0 4026531837
4026531835 cgroup /proc/2/ns/cgroup       69     2     0   0 root                          0 4026531837
4026531836 pid    /proc/2/ns/pid          69     2     0   0 root                          0 4026531837
4026532177 user   /proc/20275/ns/user      3 20275 20273   0 root                 4026531837 4026531837
4026532178 uts    /proc/20275/ns/uts       3 20275 20273   0 root                          0 4026532177
4026532179 ipc    /proc/20275/ns/ipc       3 20275 20273   0 root                          0 4026532177
4026532180 net    /proc/20275/ns/net       3 20275 20273   0 root unassigned               0 4026532177
";
    assert_eq!(show(&t, Mode::Table, false), expect);
}

#[test]
fn json_pretty() {
    let t = table(
        &[Ns, Type, Nprocs, Pid, User, Netnsid, Nsfs, Command],
        Some(Command),
        &[
            (&["4026532178", "uts", "3", "20275", "root", "", "", CMD], None),
            (&["4026532180", "net", "3", "20275", "root", "unassigned", "", CMD], None),
        ],
    );
    let expect = format!(
        r#"{{
   "namespaces": [
      {{
         "ns": 4026532178,
         "type": "uts",
         "nprocs": 3,
         "pid": 20275,
         "user": "root",
         "netnsid": null,
         "nsfs": null,
         "command": "{CMD}"
      }},{{
         "ns": 4026532180,
         "type": "net",
         "nprocs": 3,
         "pid": 20275,
         "user": "root",
         "netnsid": "unassigned",
         "nsfs": null,
         "command": "{CMD}"
      }}
   ]
}}
"#
    );
    assert_eq!(show(&t, Mode::Json(JsonStyle::Pretty), false), expect);
}

fn three_columns() -> Table {
    let src = task_table();
    let mut t = Table::new("namespaces", cols(&[Ns, Type, Nprocs], None));
    for r in 0..src.len() {
        t.push_row((0..3).map(|i| src.cell(r, i)), None);
    }
    t
}

#[test]
fn json_compact_and_lines() {
    let objs = r#"{"ns":4026531832,"type":"mnt","nprocs":68}
{"ns":4026531834,"type":"time","nprocs":69}
{"ns":4026531835,"type":"cgroup","nprocs":69}
{"ns":4026531836,"type":"pid","nprocs":69}
{"ns":4026532177,"type":"user","nprocs":3}
{"ns":4026532178,"type":"uts","nprocs":3}
{"ns":4026532179,"type":"ipc","nprocs":3}
{"ns":4026532180,"type":"net","nprocs":3}
"#;
    assert_eq!(show(&three_columns(), Mode::Json(JsonStyle::Lines), false), objs);
    let compact = format!("{{\"namespaces\":[\n{}\n]}}\n", objs.trim_end().replace("}\n{", "},\n{"));
    assert_eq!(show(&three_columns(), Mode::Json(JsonStyle::Compact), false), compact);
}

fn owner_tree() -> Table {
    let k = "kthreadd";
    table(
        DEFAULT,
        Some(Ns),
        &[
            (&["4026531837", "user", "66", "2", "root", k], None),
            (&["4026531832", "mnt", "68", "2", "root", k], Some(0)),
            (&["4026531834", "time", "69", "2", "root", k], Some(0)),
            (&["4026531835", "cgroup", "69", "2", "root", k], Some(0)),
            (&["4026531836", "pid", "69", "2", "root", k], Some(0)),
            (&["4026532177", "user", "3", "20275", "root", CMD], Some(0)),
            (&["4026532178", "uts", "3", "20275", "root", CMD], Some(5)),
            (&["4026532179", "ipc", "3", "20275", "root", CMD], Some(5)),
            (&["4026532180", "net", "3", "20275", "root", CMD], Some(5)),
        ],
    )
}

const OWNER_TREE: &str = "NS             TYPE   NPROCS   PID USER COMMAND
4026531837     user       66     2 root kthreadd
|-4026531832   mnt        68     2 root kthreadd
|-4026531834   time       69     2 root kthreadd
|-4026531835   cgroup     69     2 root kthreadd
|-4026531836   pid        69     2 root kthreadd
`-4026532177   user        3 20275 root CMD
  |-4026532178 uts         3 20275 root CMD
  |-4026532179 ipc         3 20275 root CMD
  `-4026532180 net         3 20275 root CMD
";

#[test]
fn owner_tree_ascii_and_utf8() {
    assert_eq!(show(&owner_tree(), Mode::Table, false), OWNER_TREE.replace("CMD", CMD));
    let utf8 = OWNER_TREE.replace("CMD", CMD).replace("|-", "├─").replace("`-", "└─");
    assert_eq!(show(&owner_tree(), Mode::Table, true), utf8);
}

#[test]
fn parent_tree() {
    let t = table(
        DEFAULT,
        Some(Ns),
        &[
            (&["4026531837", "user", "66", "2", "root", "kthreadd"], None),
            (&["4026532177", "user", "3", "20275", "root", CMD], Some(0)),
        ],
    );
    let expect = format!(
        "NS           TYPE NPROCS   PID USER COMMAND
4026531837   user     66     2 root kthreadd
`-4026532177 user      3 20275 root {CMD}
"
    );
    assert_eq!(show(&t, Mode::Table, false), expect);
}

#[test]
fn owner_tree_json() {
    let t = table(
        &[Ns, Type],
        Some(Ns),
        &[(&["4026531837", "user"], None), (&["4026532177", "user"], Some(0)), (&["4026532178", "uts"], Some(1))],
    );
    let expect = r#"{
   "namespaces": [
      {
         "ns": 4026531837,
         "type": "user",
         "children": [
            {
               "ns": 4026532177,
               "type": "user",
               "children": [
                  {
                     "ns": 4026532178,
                     "type": "uts"
                  }
               ]
            }
         ]
      }
   ]
}
"#;
    assert_eq!(show(&t, Mode::Json(JsonStyle::Pretty), false), expect);
}

fn members() -> Table {
    table(
        &[Pid, Ppid, User, Command],
        Some(Command),
        &[
            (&["20275", "20273", "root", CMD], None),
            (&["20278", "20275", "root", "sleep 300"], Some(0)),
            (&["20283", "20278", "root", "sleep 300"], Some(1)),
        ],
    )
}

#[test]
fn process_tree_of_a_namespace() {
    let table_ascii = format!(
        "  PID  PPID USER COMMAND
20275 20273 root {CMD}
20278 20275 root `-sleep 300
20283 20278 root   `-sleep 300
"
    );
    assert_eq!(show(&members(), Mode::Table, false), table_ascii);
    assert_eq!(show(&members(), Mode::Table, true), table_ascii.replace("`-", "└─"));
    let c = CMD.replace(' ', "\\x20");
    let raw = format!(
        "PID PPID USER COMMAND
20275 20273 root {c}
20278 20275 root `-sleep\\x20300
20283 20278 root \\x20\\x20`-sleep\\x20300
"
    );
    assert_eq!(show(&members(), Mode::Raw, false), raw);
    let json = format!(
        r#"{{
   "namespaces": [
      {{
         "pid": 20275,
         "ppid": 20273,
         "user": "root",
         "command": "{CMD}",
         "children": [
            {{
               "pid": 20278,
               "ppid": 20275,
               "user": "root",
               "command": "sleep 300",
               "children": [
                  {{
                     "pid": 20283,
                     "ppid": 20278,
                     "user": "root",
                     "command": "sleep 300"
                  }}
               ]
            }}
         ]
      }}
   ]
}}
"#
    );
    assert_eq!(show(&members(), Mode::Json(JsonStyle::Pretty), true), json);
}

#[test]
fn persistent_namespace_without_process() {
    let t = table(
        &[Ns, Type, Nprocs, Pid, User, Netnsid, Nsfs],
        None,
        &[(&["4026532249", "net", "0", "", "root", "unassigned", "/tmp/fix/netns-a"], None)],
    );
    let expect = "        NS TYPE NPROCS PID USER    NETNSID NSFS
4026532249 net       0     root unassigned /tmp/fix/netns-a
";
    assert_eq!(show(&t, Mode::Table, false), expect);
}

#[test]
fn filtered_single_line() {
    let t = table(
        &[Ns, Type, Nprocs, Pid, Ppid, Command],
        Some(Command),
        &[(&["4026532178", "uts", "3", "20275", "20273", CMD], None)],
    );
    let expect = format!(
        "        NS TYPE NPROCS   PID  PPID COMMAND
4026532178 uts       3 20275 20273 {CMD}
"
    );
    assert_eq!(show(&t, Mode::Table, false), expect);
}

/// `-H` uses the same renderer; with util-linux's descriptions the layout must match.
#[test]
fn column_list_layout() {
    let descr = [
        ("NS", "<integer>", "namespace identifier (inode number)"),
        ("TYPE", "<string>", "kind of namespace"),
        ("NETNSID", "<string>", "namespace ID as used by network subsystem"),
    ];
    let name = Col::plain("HOLDER", Kind::String, true);
    let ty = Col::plain("TYPE", Kind::String, false);
    let de = Col::plain("DESCRIPTION", Kind::String, false);
    let mut t = Table::new("lsns-columns", vec![name, ty, de]);
    for (a, b, c) in descr {
        t.push_row([a, b, c], None);
    }
    let mut s = Style::new(Mode::Table);
    s.headings = false;
    assert_eq!(
        String::from_utf8(render(&t, &s)).unwrap(),
        "     NS <integer> namespace identifier (inode number)
   TYPE <string>  kind of namespace
NETNSID <string>  namespace ID as used by network subsystem
"
    );
    s.mode = Mode::Raw;
    assert_eq!(
        String::from_utf8(render(&t, &s)).unwrap(),
        "NS <integer> namespace\\x20identifier\\x20(inode\\x20number)
TYPE <string> kind\\x20of\\x20namespace
NETNSID <string> namespace\\x20ID\\x20as\\x20used\\x20by\\x20network\\x20subsystem
"
    );
}
