//! The output columns: util-linux's thirteen, whose names, types and alignment are its
//! own (scripts and `-J` consumers depend on them), and CONTAINER and CONTAINERNAME, ours. The descriptions
//! are our own words.

/// An output column: util-linux's in its table order (which `--output-all` and `-H`
/// follow), then ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Ns,
    Type,
    Path,
    Nprocs,
    Pid,
    Ppid,
    Command,
    Uid,
    User,
    Netnsid,
    Nsfs,
    Pns,
    Ons,
    /// The container the representative's cgroup names ([`nscore::container::cgroup`]).
    Container,
    /// What that container's runtime calls it ([`nscore::container::names`]).
    ContainerName,
}

/// How a column's values are typed in JSON and compared in `-Q` filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Number,
    String,
}

impl Column {
    /// util-linux's columns, which `--output-all` prints: ours stay out of it, so that
    /// its output is util-linux's byte for byte.
    pub const ALL: [Column; 13] = [
        Column::Ns,
        Column::Type,
        Column::Path,
        Column::Nprocs,
        Column::Pid,
        Column::Ppid,
        Column::Command,
        Column::Uid,
        Column::User,
        Column::Netnsid,
        Column::Nsfs,
        Column::Pns,
        Column::Ons,
    ];

    /// Every column `-o`, `-Q`, `-H` and `--help` know: util-linux's, then ours.
    pub const KNOWN: [Column; 15] = {
        let mut all = [Column::Container; 15];
        let mut i = 0;
        while i < Column::ALL.len() {
            all[i] = Column::ALL[i];
            i += 1;
        }
        all[14] = Column::ContainerName;
        all
    };

    pub const fn name(self) -> &'static str {
        match self {
            Column::Ns => "NS",
            Column::Type => "TYPE",
            Column::Path => "PATH",
            Column::Nprocs => "NPROCS",
            Column::Pid => "PID",
            Column::Ppid => "PPID",
            Column::Command => "COMMAND",
            Column::Uid => "UID",
            Column::User => "USER",
            Column::Netnsid => "NETNSID",
            Column::Nsfs => "NSFS",
            Column::Pns => "PNS",
            Column::Ons => "ONS",
            Column::Container => "CONTAINER",
            Column::ContainerName => "CONTAINERNAME",
        }
    }

    /// NETNSID is a string although it is usually a number: it may read `unassigned`.
    pub const fn kind(self) -> Kind {
        match self {
            Column::Ns | Column::Nprocs | Column::Pid | Column::Ppid | Column::Uid | Column::Pns | Column::Ons => {
                Kind::Number
            }
            _ => Kind::String,
        }
    }

    /// Numbers line up on the right in the table; so does NETNSID, as in util-linux.
    pub const fn right_aligned(self) -> bool {
        matches!(self.kind(), Kind::Number) || matches!(self, Column::Netnsid)
    }

    /// The width the table gives the column when its cells are wider than its header
    /// (and, on a terminal with room to spare, even when they are not); 0 for none.
    /// util-linux's values, so that `-n` and terminal layouts line up with its own.
    pub const fn width_hint(self) -> usize {
        match self {
            Column::Ns | Column::Pns | Column::Ons => 10,
            Column::Type | Column::Nprocs | Column::Pid | Column::Ppid => 5,
            _ => 0,
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            Column::Ns => "inode number that identifies the namespace",
            Column::Type => "namespace type (mnt, net, pid, ...)",
            Column::Path => "/proc path of the representative process's namespace link",
            Column::Nprocs => "how many processes are members",
            Column::Pid => "lowest member PID (the representative)",
            Column::Ppid => "parent PID of the representative",
            Column::Command => "command line of the representative",
            Column::Uid => "user ID of the representative (or the owner of a user namespace)",
            Column::User => "user name for UID",
            Column::Netnsid => "peer id the network stack assigned to this network namespace",
            Column::Nsfs => "where the namespace is bind-mounted (nsfs mount points)",
            Column::Pns => "inode of the parent namespace (pid and user namespaces)",
            Column::Ons => "inode of the owning user namespace",
            Column::Container => "container the representative runs in, by its cgroup (runtime:id)",
            Column::ContainerName => "name of that container, from its runtime's files",
        }
    }

    /// Case-insensitive look-up, as util-linux's `-o` does.
    pub fn from_name(name: &[u8]) -> Option<Column> {
        Column::KNOWN.into_iter().find(|c| c.name().as_bytes().eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Column::KNOWN {
            assert_eq!(Column::from_name(c.name().as_bytes()), Some(c));
            assert_eq!(Column::from_name(c.name().to_ascii_lowercase().as_bytes()), Some(c));
        }
        assert_eq!(Column::from_name(b"NSX"), None);
        assert_eq!(Column::Netnsid.kind(), Kind::String);
        assert!(Column::Netnsid.right_aligned());
        assert!(!Column::Command.right_aligned());
        assert_eq!(Column::KNOWN[..13], Column::ALL);
        assert_eq!(Column::KNOWN[13..], [Column::Container, Column::ContainerName]);
        assert!(!Column::ALL.contains(&Column::ContainerName));
        assert_eq!(Column::from_name(b"containername"), Some(Column::ContainerName));
        assert!(!Column::ALL.contains(&Column::Container));
        assert_eq!(Column::from_name(b"container"), Some(Column::Container));
        assert_eq!((Column::Container.kind(), Column::Container.right_aligned()), (Kind::String, false));
    }
}
