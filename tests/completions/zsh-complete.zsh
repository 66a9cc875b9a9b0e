# zsh -f zsh-complete.zsh FPATHDIR WORKDIR LINE
# Types LINE and a TAB into an interactive zsh (in a pseudo-terminal, through zpty) whose
# fpath starts with FPATHDIR, and prints the matches the completion functions added, one
# a line, as they would stand in the line (IPREFIX, -P and -p prefixes, the match).
zmodload zsh/zpty || exit 3
dir=$1 work=$2 line=$3
out=$work/matches
: >| $out
cat >| $work/setup.zsh <<SETUP
unsetopt AUTO_LIST AUTO_MENU LIST_BEEP BEEP
RPS1=''
fpath=(${(q)dir} \$fpath)
autoload -U compinit && compinit -u -D
zmodload zsh/zutil
# records every match a completion function adds (calls that only collect matches into
# an array, -O -A -D, are zsh's own filtering)
compadd() {
    if [[ \${(j: :)@} == (|* )-[OAD]( *|) ]]; then builtin compadd "\$@"; return; fi
    local -a __hits __pre __hpre __ign
    local __h
    builtin compadd -A __hits "\$@"
    zparseopts -E -a __ign P:=__pre p:=__hpre
    for __h in \$__hits; do
        print -r -- "M \$IPREFIX\${__pre[2]}\${__hpre[2]}\$__h" >> ${(q)out}
    done
    builtin compadd "\$@"
}
# run once the completion is over
comppostfuncs=(__nsutils_done)
__nsutils_done() { print -r -- END >> ${(q)out} }
# the prompt says zle waits for keys (typed before, they could be lost)
PS1='zl> '
SETUP
zpty z zsh -f -i || exit 3
# waits (10 s at most) for \$1 in the terminal's output, or the completion's end
await() {
    local all= chunk
    integer i
    for (( i = 0; i < 200; i++ )); do
        while zpty -rt z chunk 2>/dev/null; do all+=$chunk; done
        [[ $all == *$1* ]] && return 0
        grep -qx END $out && return 0
        sleep 0.05
    done
    print -r -- "zsh did not answer: $1" >&2
    return 1
}
zpty -w z "source ${(q)work}/setup.zsh"
await 'zl> ' || exit 4
zpty -w -n z "$line"$'\t'
await __no_such_output__
zpty -d z
grep -qx END $out || exit 4
sed -n 's/^M //p' $out
