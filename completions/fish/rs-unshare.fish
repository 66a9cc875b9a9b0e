
# signal names as `kill -L` lists them (fish's kill completion reads them)
function __rs_unshare_signals
    __fish_make_completion_signals
    string replace -r -- '^(\d+) (.*)' '$2\tsignal $1' $__kill_signals
end
complete -c rs-unshare -l mount -d 'new mount namespace' -r -F
complete -c rs-unshare -l uts -d 'new UTS namespace (host and domain name)' -r -F
complete -c rs-unshare -l ipc -d 'new System V IPC namespace' -r -F
complete -c rs-unshare -l net -d 'new network namespace' -r -F
complete -c rs-unshare -l pid -d 'new PID namespace (for the children of the program)' -r -F
complete -c rs-unshare -l user -d 'new user namespace' -r -F
complete -c rs-unshare -l cgroup -d 'new cgroup namespace' -r -F
complete -c rs-unshare -l time -d 'new time namespace' -r -F
complete -c rs-unshare -l kill-child -d 'send the child a signal (default SIGKILL) when rs-unshare dies (implies --fork)' -r -f -a "(__rs_unshare_signals)"
complete -c rs-unshare -l mount-proc -d 'mount a proc filesystem first (implies --mount)' -r -f -a "(__fish_complete_directories)"
complete -c rs-unshare -l mount-binfmt -d 'mount a binfmt_misc filesystem (implies --user, --mount)' -r -f -a "(__fish_complete_directories)"
complete -c rs-unshare -s l -l load-interp -d 'register a binfmt_misc interpreter (implies --mount-binfmt)' -r
complete -c rs-unshare -l map-user -d 'map the current user to <uid> (implies --user)' -r -f -a "(__fish_complete_users)"
complete -c rs-unshare -l map-users -d 'map <count> users from <outeruid> outside to <inneruid> inside; also auto, subids or all (implies --user)' -r -f -a "auto\t''
subids\t''
all\t''"
complete -c rs-unshare -l map-group -d 'map the current group to <gid> (implies --user)' -r -f -a "(__fish_complete_groups)"
complete -c rs-unshare -l map-groups -d 'the same for groups (implies --user)' -r -f -a "auto\t''
subids\t''
all\t''"
complete -c rs-unshare -l owner -d 'owner of the new user namespace (implies --user)' -r
complete -c rs-unshare -l propagation -d 'mount propagation of / in the new mount namespace' -r -f -a "slave\t''
shared\t''
private\t''
unchanged\t''"
complete -c rs-unshare -l setgroups -d 'allow or deny setgroups(2) in the new user namespace' -r -f -a "allow\t''
deny\t''"
complete -c rs-unshare -s S -l setuid -d 'set the user id in the new namespaces' -r -f -a "(__fish_complete_user_ids)"
complete -c rs-unshare -s G -l setgid -d 'set the group id in the new namespaces' -r -f -a "(__fish_complete_group_ids)"
complete -c rs-unshare -s R -l root -d 'change the root directory to <dir>' -r -f -a "(__fish_complete_directories)"
complete -c rs-unshare -s w -l wd -d 'change the working directory to <dir>' -r -f -a "(__fish_complete_directories)"
complete -c rs-unshare -l monotonic -d 'offset of CLOCK_MONOTONIC in the new time namespace (seconds)' -r
complete -c rs-unshare -l boottime -d 'offset of CLOCK_BOOTTIME in the new time namespace (seconds)' -r
complete -c rs-unshare -l whitelist-env -d 'keep only these environment variables (comma list)' -r
complete -c rs-unshare -s h -l help -d 'display this help'
complete -c rs-unshare -s V -l version -d 'display version'
complete -c rs-unshare -s m -d 'new mount namespace'
complete -c rs-unshare -s u -d 'new UTS namespace (host and domain name)'
complete -c rs-unshare -s i -d 'new System V IPC namespace'
complete -c rs-unshare -s n -d 'new network namespace'
complete -c rs-unshare -s p -d 'new PID namespace (for the children of the program)'
complete -c rs-unshare -s U -d 'new user namespace'
complete -c rs-unshare -s C -d 'new cgroup namespace'
complete -c rs-unshare -s T -d 'new time namespace'
complete -c rs-unshare -s f -l fork -d 'run the program as a child and wait for it'
complete -c rs-unshare -l forward-signals -d 'pass SIGTERM and SIGINT on to the child (implies --fork)'
complete -c rs-unshare -s r -l map-root-user -d 'map the current user and group to root (implies --user)'
complete -c rs-unshare -s c -l map-current-user -d 'map the current user and group to themselves (implies --user)'
complete -c rs-unshare -l map-auto -d 'map the first block of /etc/subuid and /etc/subgid (implies --user)'
complete -c rs-unshare -l map-subids -d 'map that block onto itself (implies --user)'
complete -c rs-unshare -l keep-caps -d 'keep the capabilities of the new user namespace'
complete -c rs-unshare -l clear-env -d 'run the program with an empty environment'
