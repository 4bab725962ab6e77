# SPDX-License-Identifier: BSD-2-Clause
# What the demo scripts (conf/run-demo, conf/run-cert-demo) share, sourced
# by them: port checks and the wait for a server to listen.  Uses $me (the
# script's name) in messages.

# demo_port NAME VALUE: VALUE is a TCP port, or the script stops
demo_port() {
    if ! [[ $2 =~ ^[1-9][0-9]{0,4}$ ]] || [ "$2" -gt 65535 ]; then
        echo "$me: $1=$2 is no TCP port" >&2
        exit 2
    fi
}

# demo_listening PORT: whether something listens on 127.0.0.1:PORT (or on
# every address)
demo_listening() {
    local out

    # ss may exist and still fail (no netlink in some containers)
    if command -v ss >/dev/null && out=$(ss -Hltn "sport = :$1" 2>/dev/null)
    then
        [ -n "$out" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# demo_port_free NAME PORT: nothing listens on PORT, or the script stops
# with the one message that names the variable to change
demo_port_free() {
    if demo_listening "$2"; then
        echo "$me: port $2 is in use; $1=... picks another" >&2
        exit 1
    fi
}

# demo_listens PID PORT: process PID itself listens on PORT (ss -p; where
# ss cannot tell, e.g. no netlink, that something accepts there)
demo_listens() {
    local out

    if command -v ss >/dev/null \
       && out=$(ss -Hltnp "sport = :$2" 2>/dev/null) && [ -n "$out" ] \
       && [[ $out == *"pid="* ]]
    then
        [[ $out == *"pid=$1,"* ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null
    fi
}

# demo_wait_up "PID PORT NAME" ...: every PID still runs and itself listens
# on its PORT (30 s at most), or the script stops naming what did not start
demo_wait_up() {
    local tries spec pid port name up

    for ((tries = 0; ; tries++)); do
        up=1
        for spec in "$@"; do
            read -r pid port name <<<"$spec"
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "$me: the $name did not start" >&2
                exit 1
            fi
            demo_listens "$pid" "$port" || up=0
        done
        [ "$up" = 1 ] && return 0
        if [ "$tries" -ge 600 ]; then
            echo "$me: not listening after 30 s" >&2
            exit 1
        fi
        sleep 0.05
    done
}

# demo_wait_end: waits for one of the script's servers ("${pids[@]}",
# named by "${names[@]}") to end and exits.  Ctrl-C reaches the whole
# process group and the servers stop cleanly on SIGINT, possibly before the
# script's INT trap runs: a status 0 is that stop (exit 0); anything else
# names what ended (exit 1).
demo_wait_end() {
    local rc=0 i

    wait -n || rc=$?
    if [ "$rc" = 0 ]; then
        echo "$me: stopping" >&2
        exit 0
    fi
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "$me: the ${names[$i]} exited" >&2
        fi
    done
    exit 1
}
