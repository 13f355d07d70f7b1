package org.dumm.nativ.net;

/**
 * Constants of linux/netlink.h, linux/rtnetlink.h, linux/if_link.h and linux/if.h that the link
 * code uses. Values are part of the kernel ABI and identical on every architecture.
 */
public final class Netlink {
    private Netlink() {
    }

    // socket(2)
    public static final int AF_NETLINK = 16;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int NETLINK_ROUTE = 0;

    // setsockopt(2) level SOL_NETLINK
    public static final int SOL_NETLINK = 270;
    /** Do not echo the whole request back in an error, only its header. */
    public static final int NETLINK_CAP_ACK = 10;
    /** Append the kernel's explanation (a string) to error messages. */
    public static final int NETLINK_EXT_ACK = 11;

    // recv(2) flags
    /** Return the real datagram length even when it did not fit (truncation check). */
    public static final int MSG_TRUNC = 0x20;

    // struct nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid}
    public static final int NLMSG_HDRLEN = 16;
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;

    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_MULTI = 0x02;
    public static final int NLM_F_ACK = 0x04;
    /** Set on a dump part when the table changed while it was read: the dump must be redone. */
    public static final int NLM_F_DUMP_INTR = 0x10;
    public static final int NLM_F_DUMP = 0x300;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    /** In an error message: the request was echoed without its payload. */
    public static final int NLM_F_CAPPED = 0x100;
    /** In an error message: extended-ack attributes follow. */
    public static final int NLM_F_ACK_TLVS = 0x200;

    /** Extended ack attribute holding the kernel's error text. */
    public static final int NLMSGERR_ATTR_MSG = 1;

    // struct nlattr {u16 len; u16 type}
    public static final int NLA_HDRLEN = 4;
    public static final int NLA_F_NESTED = 0x8000;
    public static final int NLA_TYPE_MASK = 0x3fff;

    // rtnetlink message types
    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_SETLINK = 19;
    public static final int RTM_NEWQDISC = 36;
    public static final int RTM_DELQDISC = 37;
    public static final int RTM_NEWTFILTER = 44;

    /** Replace an existing object (with NLM_F_CREATE: create or replace). */
    public static final int NLM_F_REPLACE = 0x100;

    /** struct ifinfomsg {u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change}. */
    public static final int IFINFOMSG_LEN = 16;
    public static final int AF_UNSPEC = 0;

    // IFLA_* link attributes
    public static final int IFLA_ADDRESS = 1;
    public static final int IFLA_IFNAME = 3;
    public static final int IFLA_MTU = 4;
    public static final int IFLA_MASTER = 10;
    public static final int IFLA_OPERSTATE = 16;
    public static final int IFLA_LINKINFO = 18;
    public static final int IFLA_IFALIAS = 20;
    public static final int IFLA_AF_SPEC = 26;
    public static final int IFLA_GROUP = 27;
    public static final int IFLA_EXT_MASK = 29;
    /** u8: link mode (0 default, 1 dormant). */
    public static final int IFLA_LINKMODE = 17;
    /** u8: carrier on (1) or off (0); for a TAP the same kernel path as TUNSETCARRIER. */
    public static final int IFLA_CARRIER = 33;

    // RFC 2863 operational states (IFLA_OPERSTATE), linux/if.h
    public static final int IF_OPER_DORMANT = 5;
    public static final int IF_OPER_UP = 6;

    // inside IFLA_AF_SPEC: one nest per address family, IPv6's holding IFLA_INET6_*
    public static final int AF_INET6 = 10;
    public static final int IFLA_INET6_ADDR_GEN_MODE = 8;
    public static final int IN6_ADDR_GEN_MODE_NONE = 1;

    // IFLA_INFO_* inside IFLA_LINKINFO
    public static final int IFLA_INFO_KIND = 1;
    public static final int IFLA_INFO_DATA = 2;

    // IFLA_BR_* inside IFLA_INFO_DATA of a bridge
    public static final int IFLA_BR_FORWARD_DELAY = 1;
    /** Ageing time of learned addresses, in clock ticks of USER_HZ (centiseconds). */
    public static final int IFLA_BR_AGEING_TIME = 4;
    public static final int IFLA_BR_STP_STATE = 5;

    // IFLA_TUN_* inside IFLA_INFO_DATA of a tun/tap device
    public static final int IFLA_TUN_TYPE = 3;
    public static final int IFLA_TUN_PERSIST = 6;

    /** IFLA_EXT_MASK bit: leave the (large) statistics out of link messages. */
    public static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;

    // net_device flags (if.h)
    public static final int IFF_UP = 0x1;

    /** Longest alias the kernel keeps (IFALIASZ minus the NUL). */
    public static final int IFALIAS_MAX = 255;

    /** Attribute and message alignment. */
    static int align(int len) {
        return (len + 3) & ~3;
    }
}
