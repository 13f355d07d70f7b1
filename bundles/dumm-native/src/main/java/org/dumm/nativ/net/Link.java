package org.dumm.nativ.net;

import java.nio.ByteBuffer;

/**
 * One network device as rtnetlink reports it (an RTM_NEWLINK message).
 *
 * @param index      interface index
 * @param name       interface name
 * @param flags      IFF_* flags
 * @param group      device group (0 is the default group)
 * @param alias      interface alias, or null
 * @param master     index of the device this one is enslaved to (e.g. its bridge), 0 for none
 * @param kind       rtnetlink link kind ("bridge", "tun", …), or null for devices without one
 * @param tunType    for kind "tun": {@link Tun#IFF_TUN} or {@link Tun#IFF_TAP}; else 0
 * @param mac        hardware address in lower-case colon form, or null
 * @param stpState   for a bridge: its STP state (0 off); else -1
 * @param ageingTime for a bridge: ageing time in centiseconds; else -1
 */
public record Link(int index, String name, int flags, int group, String alias, int master, String kind,
                   int tunType, String mac, int stpState, int ageingTime) {

    public boolean isUp() {
        return (flags & Netlink.IFF_UP) != 0;
    }

    public boolean isBridge() {
        return "bridge".equals(kind);
    }

    public boolean isTap() {
        return "tun".equals(kind) && tunType == Tun.IFF_TAP;
    }

    /** Parses an RTM_NEWLINK message (header at position 0). */
    public static Link parse(ByteBuffer msg) {
        int len = msg.getInt(0);
        int base = Netlink.NLMSG_HDRLEN;
        int index = msg.getInt(base + 4);
        int flags = msg.getInt(base + 8);
        NlAttrs a = NlAttrs.parse(msg, base + Netlink.IFINFOMSG_LEN, len);
        NlAttrs info = a.nested(Netlink.IFLA_LINKINFO);
        String kind = info.string(Netlink.IFLA_INFO_KIND);
        NlAttrs data = info.nested(Netlink.IFLA_INFO_DATA);
        boolean tun = "tun".equals(kind);
        boolean bridge = "bridge".equals(kind);
        byte[] addr = a.bytes(Netlink.IFLA_ADDRESS);
        return new Link(index, a.string(Netlink.IFLA_IFNAME), flags, a.u32(Netlink.IFLA_GROUP, 0),
                a.string(Netlink.IFLA_IFALIAS), a.u32(Netlink.IFLA_MASTER, 0), kind,
                tun ? data.u8(Netlink.IFLA_TUN_TYPE, 0) : 0,
                addr != null && addr.length == 6 ? MacAddress.format(addr) : null,
                bridge ? data.u32(Netlink.IFLA_BR_STP_STATE, -1) : -1,
                bridge ? data.u32(Netlink.IFLA_BR_AGEING_TIME, -1) : -1);
    }
}
