# Bench item 8's baseline: the same crowd as Dumm's netns guests, built by Mininet (hosts are
# network namespaces with a shell each, one Linux bridge, a veth per host), timed with
# Mininet's own API. Names start with dmmn so they cannot meet the host's devices.
# Then EXECS round trips of cmd('true') round robin over the hosts (Mininet keeps one shell per
# host and writes each command into it). Prints one line:
# "build_start_s=… stop_s=… hosts=N cmd_p50_ms=…".
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.nodelib import LinuxBridge

n = int(sys.argv[1])
execs = int(sys.argv[2]) if len(sys.argv) > 2 else 0
setLogLevel('error')
net = Mininet(controller=None, build=False, autoSetMacs=True)
t0 = time.monotonic()
try:
    switch = net.addSwitch('dmmns0', cls=LinuxBridge)
    for i in range(n):
        host = net.addHost('dmmnh%d' % i, ip='10.238.%d.%d/16' % (i // 250, i % 250 + 1))
        net.addLink(host, switch)
    net.build()
    net.start()
    # ready as Dumm counts it: every host answers a command in its namespace
    for h in net.hosts:
        h.cmd('true')
    t1 = time.monotonic()
    rtts = []
    for i in range(execs):
        s = time.monotonic()
        net.hosts[i % n].cmd('true')
        rtts.append(time.monotonic() - s)
finally:
    t2 = time.monotonic()
    net.stop()
    t3 = time.monotonic()
rtts.sort()
p50 = rtts[len(rtts) // 2] * 1e3 if rtts else 0.0
print('build_start_s=%.3f stop_s=%.3f hosts=%d cmd_p50_ms=%.3f' % (t1 - t0, t3 - t2, len(net.hosts), p50))
