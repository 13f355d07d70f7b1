package org.dumm.nativ.net;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;

import org.dumm.nativ.Errno;
import org.dumm.nativ.NativeException;

/**
 * Network devices through rtnetlink (RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK) on one socket:
 * look up, list, create, change and delete links, and delete a whole device group at once.
 * Thread-safe. Close it when done.
 */
public final class RtLink implements AutoCloseable {

    private final NetlinkSocket socket;

    private RtLink(NetlinkSocket socket) {
        this.socket = socket;
    }

    public static RtLink open() {
        return new RtLink(NetlinkSocket.open(Netlink.NETLINK_ROUTE));
    }

    private static final long SYS_SETNS = 308;
    private static final int CLONE_NEWNET = 0x40000000;

    /**
     * A socket in the network namespace of process {@code pid} (a netns guest's first process):
     * its requests act on that namespace's devices, from any thread. Made on a short-lived
     * thread of its own that enters the namespace, opens the socket and leaves (a socket keeps
     * the namespace it was made in); a JVM thread never stays in another namespace.
     */
    public static RtLink openInNetnsOf(long pid) {
        java.util.concurrent.atomic.AtomicReference<Object> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            org.dumm.nativ.LibC c = org.dumm.nativ.Native.libc();
            int own = -1;
            int target = -1;
            try {
                own = org.dumm.nativ.Native.check(c.open("/proc/thread-self/ns/net",
                        org.dumm.nativ.Fcntl.O_RDONLY | org.dumm.nativ.Fcntl.O_CLOEXEC, 0), "opening this thread's network namespace");
                target = org.dumm.nativ.Native.check(c.open("/proc/" + pid + "/ns/net",
                        org.dumm.nativ.Fcntl.O_RDONLY | org.dumm.nativ.Fcntl.O_CLOEXEC, 0),
                        "opening the network namespace of process " + pid);
                org.dumm.nativ.Native.check(c.syscall(SYS_SETNS, target, CLONE_NEWNET),
                        "entering the network namespace of process " + pid);
                RtLink rt = null;
                try {
                    rt = open();
                } finally {
                    if (c.syscall(SYS_SETNS, own, CLONE_NEWNET) != 0 && rt != null) {
                        rt.close(); // the thread ends here anyway: nothing else ran in that namespace
                        rt = null;
                    }
                }
                result.set(rt != null ? rt : new IllegalStateException("could not leave the network namespace of process " + pid));
            } catch (RuntimeException e) {
                result.set(e);
            } finally {
                if (own >= 0) {
                    c.close(own);
                }
                if (target >= 0) {
                    c.close(target);
                }
            }
        }, "dumm-netns-socket");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening a socket in the namespace of process " + pid);
        }
        Object r = result.get();
        if (r instanceof RtLink rt) {
            return rt;
        }
        throw (RuntimeException) r;
    }

    /** The device named {@code name}, or empty when there is none. */
    public Optional<Link> get(String name) {
        NlMessage m = NlMessage.link(Netlink.RTM_GETLINK, 0, 0, 0, 0)
                .string(Netlink.IFLA_IFNAME, name)
                .u32(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS);
        try {
            return Optional.of(Link.parse(socket.query(m, "looking up network device '" + name + "'")));
        } catch (NativeException e) {
            if (e.errno() == Errno.ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The device with interface index {@code index}, or empty when there is none. */
    public Optional<Link> get(int index) {
        NlMessage m = NlMessage.link(Netlink.RTM_GETLINK, 0, index, 0, 0)
                .u32(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS);
        try {
            return Optional.of(Link.parse(socket.query(m, "looking up network device #" + index)));
        } catch (NativeException e) {
            if (e.errno() == Errno.ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The devices named {@code names}, looked up with several requests per system call; one
     * entry per name, empty where there is no such device.
     */
    public List<Optional<Link>> getAll(List<String> names) {
        List<NlMessage> requests = new ArrayList<>(names.size());
        for (String name : names) {
            requests.add(NlMessage.link(Netlink.RTM_GETLINK, 0, 0, 0, 0)
                    .string(Netlink.IFLA_IFNAME, name)
                    .u32(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS));
        }
        List<NetlinkSocket.Reply> replies = socket.queryAll(requests,
                i -> "looking up network device '" + names.get(i) + "'");
        List<Optional<Link>> links = new ArrayList<>(names.size());
        for (NetlinkSocket.Reply r : replies) {
            if (r.error() == null) {
                links.add(Optional.of(Link.parse(r.message())));
            } else if (r.error().errno() == Errno.ENODEV) {
                links.add(Optional.empty());
            } else {
                throw r.error();
            }
        }
        return links;
    }

    /**
     * All devices of this network namespace, with whether the kernel vouched for a consistent
     * snapshot: while other processes keep adding or removing devices a listing may be
     * incomplete (kernels before 6.7 can skip a device that existed throughout).
     */
    public record Snapshot(List<Link> links, boolean consistent) {
    }

    /** A listing of all devices, see {@link Snapshot}. */
    public Snapshot snapshot() {
        List<Link> links = new ArrayList<>();
        boolean consistent = socket.dump(NlMessage.link(Netlink.RTM_GETLINK, 0, 0, 0, 0)
                        .u32(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS), "listing network devices",
                msg -> collect(msg, links, null, 0));
        return new Snapshot(links, consistent);
    }

    /** All devices of this network namespace (best effort under heavy concurrent change: see {@link Snapshot}). */
    public List<Link> list() {
        return snapshot().links();
    }

    /** Devices of one kind ("bridge", "tun", …). */
    public List<Link> list(String kind) {
        // The kernel filters by kind only when that kind's driver is loaded: filter here too.
        return dump(NlMessage.link(Netlink.RTM_GETLINK, 0, 0, 0, 0)
                .u32(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS)
                .begin(Netlink.IFLA_LINKINFO).string(Netlink.IFLA_INFO_KIND, kind).end(), kind, 0);
    }

    /** Devices enslaved to the device with index {@code masterIndex} (a bridge's ports). */
    public List<Link> ports(int masterIndex) {
        return dump(NlMessage.link(Netlink.RTM_GETLINK, 0, 0, 0, 0)
                .u32(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS)
                .u32(Netlink.IFLA_MASTER, masterIndex), null, masterIndex);
    }

    /** Creates a device; EEXIST if its name is taken. */
    public void create(LinkRequest request, String operation) {
        socket.execute(request.toMessage(Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL), operation);
    }

    /** Changes an existing device; ENODEV if it is gone. */
    public void change(LinkRequest request, String operation) {
        socket.execute(request.toMessage(0), operation);
    }

    /**
     * Changes many devices, many requests per system call. Returns one result per request: null
     * on success, else the failure. Every request is tried, whatever the others did.
     */
    public List<NativeException> changeAll(List<LinkRequest> requests, IntFunction<String> operation) {
        List<NlMessage> messages = new ArrayList<>(requests.size());
        for (LinkRequest r : requests) {
            messages.add(r.toMessage(0));
        }
        return socket.executeAll(messages, operation);
    }

    /** Deletes the device with interface index {@code index} (waits for the kernel's RCU grace period). */
    public void delete(int index, String operation) {
        socket.execute(NlMessage.link(Netlink.RTM_DELLINK, 0, index, 0, 0), operation);
    }

    /**
     * Deletes every device in device group {@code group} in one kernel operation: the devices
     * are unregistered together, paying the RCU grace period once instead of per device.
     */
    public void deleteGroup(int group, String operation) {
        if (group == 0) {
            throw new IllegalArgumentException("refusing to delete the default device group");
        }
        socket.execute(NlMessage.link(Netlink.RTM_DELLINK, 0, 0, 0, 0).u32(Netlink.IFLA_GROUP, group), operation);
    }

    /** Sends a request built by hand (see {@link Veth}); fails as the kernel says. */
    void execute(NlMessage m, String operation) {
        socket.execute(m, operation);
    }

    @Override
    public void close() {
        socket.close();
    }

    private List<Link> dump(NlMessage m, String kind, int master) {
        List<Link> links = new ArrayList<>();
        socket.dump(m, "listing network devices", msg -> collect(msg, links, kind, master));
        return links;
    }

    private static void collect(ByteBuffer msg, List<Link> links, String kind, int master) {
        if (Short.toUnsignedInt(msg.getShort(4)) == Netlink.RTM_NEWLINK) {
            Link l = Link.parse(msg);
            if ((kind == null || kind.equals(l.kind())) && (master == 0 || l.master() == master)) {
                links.add(l);
            }
        }
    }
}
