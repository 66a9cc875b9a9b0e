
# -o: a comma list of columns, each once, `+` first to add them to the default ones
function __rs_lsns_columns
    set -l value (commandline -ct | string replace -r -- '^-(-[^=]*=|[^-])' '')
    set -l head (string replace -r -- '[^,]*$' '' "$value")
    set -l last (string replace -r -- '^.*,' '' "$value")
    if test -z "$head"; and string match -q -- '+*' "$last"
        set head +
        set last (string sub -s 2 -- "$last")
    end
    set -l used (string split -n , -- (string trim -l -c + -- "$head"))
    set -l found
    for c in NS TYPE PATH NPROCS PID PPID COMMAND UID USER NETNSID NSFS PNS ONS CONTAINER CONTAINERNAME
        if not contains -- $c $used; and string match -qi -- "$last*" $c
            set -a found "$head$c"
        end
    end
    # the one column left that fits: with the comma for the next one, while more remain
    if test (count $found) -eq 1 -a (count $used) -lt 14
        set found "$found,"
    end
    string join \n -- $found
end

# -Q: the column name being typed in the expression
function __rs_lsns_filter
    set -l head (commandline -ct | string replace -r -- '^-(-[^=]*=|[^-])' '' | string replace -r -- '[A-Za-z0-9_]*$' '')
    for c in NS TYPE PATH NPROCS PID PPID COMMAND UID USER NETNSID NSFS PNS ONS CONTAINER CONTAINERNAME
        printf '%s%s\n' "$head" $c
    end
end
complete -c rs-lsns -s p -l task -d 'only the namespaces of this process' -r -f -a "(__fish_complete_pids)"
complete -c rs-lsns -s o -l output -d 'the columns to print (+<list> adds to the default ones)' -r -f -a "(__rs_lsns_columns)"
complete -c rs-lsns -s t -l type -d 'only this type: mnt, net, ipc, user, pid, uts, cgroup, time' -r -f -a "mnt\t''
net\t''
ipc\t''
user\t''
pid\t''
uts\t''
cgroup\t''
time\t''"
complete -c rs-lsns -s T -l tree -d 'tree by: owner (bare -T), parent, process (default)' -r -f -a "process\t''
owner\t''
parent\t''"
complete -c rs-lsns -s Q -l filter -d 'only lines for which the expression holds' -r -f -a "(__rs_lsns_filter)"
complete -c rs-lsns -s J -l json -d 'print JSON'
complete -c rs-lsns -s l -l list -d 'a flat list instead of the default process tree'
complete -c rs-lsns -s P -l persistent -d 'only namespaces without processes (bind mounts, fds)'
complete -c rs-lsns -l output-all -d 'print every column'
complete -c rs-lsns -s u -l notruncate -d 'never cut the COMMAND column to the terminal width'
complete -c rs-lsns -s n -l noheadings -d 'leave out the header line'
complete -c rs-lsns -s r -l raw -d 'raw output: space separated, special bytes escaped'
complete -c rs-lsns -s h -l help -d 'show this help'
complete -c rs-lsns -s V -l version -d 'show the version'
complete -c rs-lsns -s W -l nowrap -d 'keep multi-value cells (NSFS) on one line'
complete -c rs-lsns -s H -l list-columns -d 'describe the available columns'
complete -c rs-lsns -l children -d 'also namespaces only *_for_children links keep'
