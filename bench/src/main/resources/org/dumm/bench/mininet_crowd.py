# Bench item 8's baseline: the same crowd as Dumm's netns guests, built by Mininet (hosts are
# network namespaces with a shell each, one Linux bridge, a veth per host), timed with
# Mininet's own API. Names start with dmmn so they cannot meet the host's devices.
# Prints one line: "build_start_s=… stop_s=… hosts=N".
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.nodelib import LinuxBridge

n = int(sys.argv[1])
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
finally:
    t2 = time.monotonic()
    net.stop()
    t3 = time.monotonic()
print('build_start_s=%.3f stop_s=%.3f hosts=%d' % (t1 - t0, t3 - t2, len(net.hosts)))
