package org.dumm.nativ.net;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to create or change on one network device, sent as one RTM_NEWLINK message. Only the
 * fields that were set are sent; the kernel leaves everything else as it is.
 */
public final class LinkRequest {

    private final int index;
    private final String name;
    private Boolean up;
    private String alias;
    private Integer group;
    private byte[] address;
    private Integer master;
    private String kind;
    private Boolean carrier;
    private Integer operstate;
    private Integer linkmode;
    private boolean noIpv6Addresses;
    private final Map<Integer, Integer> dataU32 = new LinkedHashMap<>();

    private LinkRequest(int index, String name) {
        this.index = index;
        this.name = name;
    }

    /** The device with interface index {@code index}. */
    public static LinkRequest of(int index) {
        return new LinkRequest(index, null);
    }

    /** The device named {@code name} (or, when creating, the new device's name). */
    public static LinkRequest named(String name) {
        return new LinkRequest(0, name);
    }

    /** Administratively up (true) or down (false). */
    public LinkRequest up(boolean on) {
        this.up = on;
        return this;
    }

    public LinkRequest alias(String value) {
        this.alias = value;
        return this;
    }

    public LinkRequest group(int value) {
        this.group = value;
        return this;
    }

    /** Hardware address (6 bytes for Ethernet). */
    public LinkRequest address(byte[] value) {
        this.address = value.clone();
        return this;
    }

    /** Enslave to the device with this index (a bridge); 0 releases. */
    public LinkRequest master(int masterIndex) {
        this.master = masterIndex;
        return this;
    }

    /**
     * No IPv6 address of the kernel's own making (address generation mode "none"): no
     * link-local address, hence no duplicate address detection, router solicitations or MLD
     * reports from the device. Only where the host has IPv6 (else the kernel refuses the request).
     */
    public LinkRequest noIpv6Addresses() {
        this.noIpv6Addresses = true;
        return this;
    }

    /** Carrier on or off (tun/tap devices, dummy, veth: drivers that let the carrier be set). */
    public LinkRequest carrier(boolean on) {
        this.carrier = on;
        return this;
    }

    /**
     * RFC 2863 operational state as user space may set it ({@link Netlink#IF_OPER_UP},
     * {@link Netlink#IF_OPER_DORMANT}) and the link mode (1: dormant) that keeps it there.
     * A dormant device is not RUNNING: {@code ip link} shows it as NO-CARRIER.
     */
    public LinkRequest operstate(int state, int mode) {
        this.operstate = state;
        this.linkmode = mode;
        return this;
    }

    /** Link kind, needed to create a device or to change kind-specific settings. */
    public LinkRequest kind(String value) {
        this.kind = value;
        return this;
    }

    /** A u32 kind-specific setting (IFLA_INFO_DATA), e.g. {@link Netlink#IFLA_BR_STP_STATE}. */
    public LinkRequest data(int attr, int value) {
        dataU32.put(attr, value);
        return this;
    }

    /** The RTM_NEWLINK message with NLM_F_* {@code flags} (0 to change an existing device). */
    public NlMessage toMessage(int flags) {
        int ifFlags = up != null && up ? Netlink.IFF_UP : 0;
        int change = up != null ? Netlink.IFF_UP : 0;
        NlMessage m = NlMessage.link(Netlink.RTM_NEWLINK, flags, index, ifFlags, change);
        if (name != null) {
            m.string(Netlink.IFLA_IFNAME, name);
        }
        if (address != null) {
            m.bytes(Netlink.IFLA_ADDRESS, address);
        }
        if (group != null) {
            m.u32(Netlink.IFLA_GROUP, group);
        }
        if (alias != null) {
            m.string(Netlink.IFLA_IFALIAS, alias);
        }
        if (master != null) {
            m.u32(Netlink.IFLA_MASTER, master);
        }
        if (carrier != null) {
            m.u8(Netlink.IFLA_CARRIER, carrier ? 1 : 0);
        }
        if (linkmode != null) {
            m.u8(Netlink.IFLA_LINKMODE, linkmode);
        }
        if (operstate != null) {
            m.u8(Netlink.IFLA_OPERSTATE, operstate);
        }
        if (noIpv6Addresses) {
            m.begin(Netlink.IFLA_AF_SPEC).begin(Netlink.AF_INET6)
                    .u8(Netlink.IFLA_INET6_ADDR_GEN_MODE, Netlink.IN6_ADDR_GEN_MODE_NONE).end().end();
        }
        if (kind != null) {
            m.begin(Netlink.IFLA_LINKINFO).string(Netlink.IFLA_INFO_KIND, kind);
            if (!dataU32.isEmpty()) {
                m.begin(Netlink.IFLA_INFO_DATA);
                dataU32.forEach(m::u32);
                m.end();
            }
            m.end();
        }
        return m;
    }
}
