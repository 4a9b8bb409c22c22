#!/usr/bin/env bash
# A throwaway single-node Ceph (monitor + in-memory OSD + radosgw) for the S3 driver's tests: a
# real S3 server that checks SigV4 signatures (s3rver does not). Adapted from the team's shared
# tools so CI and contributors need only Debian's packages:
#   apt-get install -y --no-install-recommends ceph-mon ceph-osd ceph-mgr radosgw ceph-common
#
# Usage: ceph-rgw.sh DIR RGW_PORT MON_PORT
#   DIR is wiped and owned by this run; ports must be free (test/helpers/s3-server.ts picks them).
#   Prints "ready" when S3 answers at http://127.0.0.1:RGW_PORT with the access key
#   KOYAACCESSKEY / secret koyasecretkey123. The daemons' pids are in DIR/run/*.pid: stop them
#   with `kill $(cat DIR/run/*.pid)` (s3-server.ts does), then remove DIR.
# Every step is bounded (timeout 20 s each, 45 s for radosgw to answer).
set -euo pipefail
B=${1:?dir}; PORT=${2:?rgw port}; MON_PORT=${3:?mon port}
rm -rf "$B"; mkdir -p "$B"/{run,log,mon,osd,rgw}; cd "$B"
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > ceph.conf <<EOF
[global]
fsid = $FSID
mon initial members = a
mon host = v1:127.0.0.1:$MON_PORT
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd crush chooseleaf type = 0
# The OSD would set its own crush location and device class at start (a mon command that a
# fresh single-node cluster can refuse); the script adds it to the crush map itself.
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = $B/run
pid file = $B/run/\$name.pid
log file = $B/log/\$name.log
admin socket = $B/run/\$name.asok
mon data = $B/mon/\$cluster-\$id
osd data = $B/osd/\$cluster-\$id
keyring = $B/keyring
public network = 127.0.0.0/8
client mount timeout = 20
rados mon op timeout = 20
[client.rgw.test]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $B/rgw
EOF
C="$B/ceph.conf"
t() { timeout "$@"; }
ceph-authtool --create-keyring keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool keyring --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --addv a "v1:127.0.0.1:$MON_PORT" --fsid "$FSID" monmap >/dev/null
t 20 ceph-mon -c "$C" --mkfs -i a --monmap monmap --keyring keyring
t 20 ceph-mon -c "$C" -i a
OSD=$(t 20 ceph -c "$C" --connect-timeout 15 osd create)
mkdir -p "$B/osd/ceph-$OSD"
t 20 ceph-osd -c "$C" -i "$OSD" --mkfs >/dev/null 2>&1
t 20 ceph -c "$C" --connect-timeout 15 osd crush add "osd.$OSD" 1.0 host=localhost root=default >/dev/null 2>&1
t 20 ceph-osd -c "$C" -i "$OSD" >/dev/null 2>&1
t 20 radosgw -c "$C" -n client.rgw.test
# radosgw makes its pools before it answers: seconds on an idle machine, more on a loaded one.
deadline=$((SECONDS + 45))
until curl -fs -m 2 -o /dev/null "http://127.0.0.1:$PORT/"; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "radosgw did not answer within 45 s" >&2; exit 1; }
  sleep 0.25
done
t 20 radosgw-admin -c "$C" user create --uid=koya --display-name=koya --access-key=KOYAACCESSKEY --secret=koyasecretkey123 >/dev/null
echo ready
