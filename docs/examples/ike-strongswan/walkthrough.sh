#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The IKE walkthrough of docs/ike.md, command for command: zplex-host (IKEv2 from a
# Policy Agent policy) against strongSwan's charon in two network namespaces. Run as
# root from the repository after `cmake --build --preset default`. It cleans up after
# itself, also when a step fails. tests/e2e/walkthrough runs it.
set -eu
W=/tmp/zplex-walk
cleanup() {
    set +e
    # --- clean up
    kill $(cat $W/zplex-host.pid $W/charon.pid)
    sleep 1
    ip netns del zpxwa
    ip netns del zpxwb
    rm -rf $W
    # --- end of the clean-up
}
trap cleanup EXIT
# --- walkthrough
W=/tmp/zplex-walk
Z=${ZPLEX_BIN:-build/default/bin}
X=docs/examples/ike-strongswan
mkdir -p -m 0700 $W $W/a $W/b $W/b/run
ip netns add zpxwa
ip netns add zpxwb
ip link add zpxwa0 netns zpxwa type veth peer name zpxwb0 netns zpxwb
ip -n zpxwa addr add 198.18.10.1/24 dev zpxwa0
ip -n zpxwb addr add 198.18.10.2/24 dev zpxwb0
ip -n zpxwa addr add 198.18.20.1/32 dev lo
ip -n zpxwb addr add 198.18.21.1/32 dev lo
for n in zpxwa zpxwb; do ip -n $n link set lo up; ip -n $n link set ${n}0 up; done
ip netns exec zpxwb unshare --mount sh -c "mount --make-rprivate / && mount --bind $W/b/run /run && STRONGSWAN_CONF=$X/strongswan.conf exec /usr/lib/ipsec/charon" >$W/b/charon.out 2>&1 &
echo $! >$W/charon.pid
timeout 20 sh -c "until [ -S $W/b/charon.vici ]; do sleep 0.1; done"
swanctl --load-all --noprompt --file "$PWD/$X/swanctl.conf" --uri unix://$W/b/charon.vici
ip netns exec zpxwa $Z/zplex-host --local 198.18.10.1 --policy $X/zplex-a.pol --initiate to_swan --control $W/a/zplex.ctl --ready-file $W/a/ready >$W/a/zplex-host.out 2>&1 &
echo $! >$W/zplex-host.pid
timeout 20 sh -c "until [ -e $W/a/ready ]; do sleep 0.1; done"
ip -n zpxwa route add 198.18.21.1/32 dev zpx0 src 198.18.20.1
timeout 30 sh -c "until $Z/zplex ipsec --control $W/a/zplex.ctl status | grep -q 'children 1'; do sleep 0.2; done"
ip netns exec zpxwa ping -c 3 -W 5 -I 198.18.20.1 198.18.21.1
$Z/zplex ipsec -y display -r detail --control $W/a/zplex.ctl
swanctl --list-sas --uri unix://$W/b/charon.vici
$Z/zplex ipsec --control $W/a/zplex.ctl rekey child
timeout 30 sh -c "until $Z/zplex ipsec -y display -r detail --control $W/a/zplex.ctl | grep -q '^Generation: *2'; do sleep 0.2; done"
ip netns exec zpxwa ping -c 3 -W 5 -I 198.18.20.1 198.18.21.1
swanctl --rekey --child zplex --uri unix://$W/b/charon.vici
ip netns exec zpxwa ping -c 3 -W 5 -I 198.18.20.1 198.18.21.1
swanctl --terminate --ike zplex --timeout 10 --uri unix://$W/b/charon.vici
timeout 30 sh -c "until $Z/zplex ipsec --control $W/a/zplex.ctl status | grep -q 'ike 0 children 0'; do sleep 0.2; done"
# --- end of the walkthrough
echo "ZPX0917I WALKTHROUGH COMPLETED"
