
# --container: the IDs and names of the containers running here
function __nsenter_containers
    lsns -r -n -o CONTAINER,CONTAINERNAME 2>/dev/null | awk '$1 != "" { sub(/^[^:]*:/, "", $1); print $1; if ($2 != "") print $2 }' | sort -u
end
complete -c nsenter -s t -l target -d 'the process whose namespaces to enter' -r -f -a "(__fish_complete_pids)"
complete -c nsenter -s m -l mount -d 'enter the mount namespace' -r -F
complete -c nsenter -s u -l uts -d 'enter the UTS namespace (host and domain name)' -r -F
complete -c nsenter -s i -l ipc -d 'enter the System V IPC namespace' -r -F
complete -c nsenter -s n -l net -d 'enter the network namespace' -r -F
complete -c nsenter -s N -l net-socket -d 'enter the network namespace of the target\'s socket <fd>' -r
complete -c nsenter -s p -l pid -d 'enter the PID namespace (the program runs in a child)' -r -F
complete -c nsenter -s C -l cgroup -d 'enter the cgroup namespace' -r -F
complete -c nsenter -s U -l user -d 'enter the user namespace' -r -F
complete -c nsenter -s T -l time -d 'enter the time namespace' -r -F
complete -c nsenter -s S -l setuid -d 'user ID to run as (follow: the target\'s owner)' -r -f -a "follow (__fish_complete_user_ids)"
complete -c nsenter -s G -l setgid -d 'group ID to run as, without supplementary groups' -r -f -a "follow (__fish_complete_group_ids)"
complete -c nsenter -s r -l root -d 'change the root directory (default: the target\'s)' -r -f -a "(__fish_complete_directories)"
complete -c nsenter -s w -l wd -d 'change the working directory (default: the target\'s)' -r -f -a "(__fish_complete_directories)"
complete -c nsenter -s W -l wdns -d 'change to a directory looked up inside the namespaces' -r -f -a "(__fish_complete_directories)"
complete -c nsenter -l container -d 'target a container\'s main process (all namespaces unless named)' -r -f -a "(__nsenter_containers)"
complete -c nsenter -s a -l all -d 'enter every namespace of the target that differs from ours'
complete -c nsenter -s h -l help -d 'display this help'
complete -c nsenter -s V -l version -d 'display version'
complete -c nsenter -l user-parent -d 'enter the parent of that user namespace instead'
complete -c nsenter -l preserve-credentials -d 'keep our user and group IDs when entering a user namespace'
complete -c nsenter -l keep-caps -d 'keep the capabilities gained in the user namespace'
complete -c nsenter -s e -l env -d 'take the environment of the target process'
complete -c nsenter -s c -l join-cgroup -d 'move into the target\'s cgroup (cgroup v2 only)'
complete -c nsenter -s F -l no-fork -d 'do not fork, even when entering a PID namespace'
complete -c nsenter -s Z -l follow-context -d 'take the target\'s SELinux context'
