package org.dumm.nativ.net;

/**
 * Virtual Ethernet pairs through rtnetlink: create a pair in one request, and hand one end to
 * another network namespace under a new name, address and state in another. Deleting either end
 * deletes both (plain {@link RtLink#delete}); so does the end of the namespace holding one.
 */
public final class Veth {

    /** Link kind of both ends. */
    public static final String KIND = "veth";

    /** Inside a veth's IFLA_INFO_DATA: the peer (struct ifinfomsg, then its attributes). */
    static final int VETH_INFO_PEER = 1;
    /** Move the device into the network namespace of this process (IFLA_NET_NS_PID). */
    static final int IFLA_NET_NS_PID = 19;

    private Veth() {
    }

    /**
     * Creates the pair {@code name} and {@code peer}, both in device group {@code group} from
     * their first moment (so a crash between this and the marking leaves devices the group still
     * identifies), both down. EEXIST when either name is taken; nothing is left then.
     */
    public static void create(RtLink rt, String name, String peer, int group) {
        create(rt, name, peer, group, 0, null);
    }

    /**
     * As {@link #create}, with the peer made directly in the network namespace of process
     * {@code peerNetnsPid} (0: the host's), down, with {@code peerMac} (null: the kernel's).
     * Creating it there costs ~3 ms here; moving it there afterwards ~20 ms (the kernel waits for a
     * network RCU grace period per move).
     */
    public static void create(RtLink rt, String name, String peer, int group, long peerNetnsPid, byte[] peerMac) {
        IfNames.check("veth", name);
        IfNames.check("veth peer", peer);
        NlMessage m = NlMessage.link(Netlink.RTM_NEWLINK, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, 0, 0, 0)
                .string(Netlink.IFLA_IFNAME, name)
                .u32(Netlink.IFLA_GROUP, group);
        m.begin(Netlink.IFLA_LINKINFO).string(Netlink.IFLA_INFO_KIND, KIND)
                .begin(Netlink.IFLA_INFO_DATA)
                .begin(VETH_INFO_PEER)
                .ifinfo(0, 0, 0) // down: the kernel cannot open a veth end before both exist (ENOTCONN)
                .string(Netlink.IFLA_IFNAME, peer)
                .u32(Netlink.IFLA_GROUP, group);
        if (peerNetnsPid != 0) {
            m.u32(IFLA_NET_NS_PID, (int) peerNetnsPid);
        }
        if (peerMac != null) {
            m.bytes(Netlink.IFLA_ADDRESS, peerMac);
        }
        m.end().end().end();
        rt.execute(m, "creating veth pair '" + name + "' / '" + peer + "'"
                + (peerNetnsPid == 0 ? "" : " (peer in the network namespace of pid " + peerNetnsPid + ")"));
    }

    /**
     * Moves device {@code index} into the network namespace of process {@code pid}, renamed
     * {@code newName}, with hardware address {@code mac} (null: keep), and sets it up there: one
     * request, so the device never shows in the target under its old name or down.
     */
    public static void moveToNamespace(RtLink rt, int index, long pid, String newName, byte[] mac) {
        IfNames.check("interface", newName);
        NlMessage m = NlMessage.link(Netlink.RTM_NEWLINK, 0, index, Netlink.IFF_UP, Netlink.IFF_UP)
                .string(Netlink.IFLA_IFNAME, newName)
                .u32(IFLA_NET_NS_PID, (int) pid);
        if (mac != null) {
            m.bytes(Netlink.IFLA_ADDRESS, mac);
        }
        rt.execute(m, "moving device #" + index + " into the network namespace of pid " + pid + " as '" + newName + "'");
    }
}
