package org.dumm.nativ.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Traffic control requests (linux/rtnetlink.h, linux/pkt_sched.h, linux/pkt_cls.h,
 * linux/tc_act/tc_mirred.h): a netem qdisc at the root of a device, an ingress qdisc, and a
 * matchall filter whose mirred action redirects everything a device receives to the egress of
 * another (an IFB device), where a qdisc can shape it. Each method builds one message; send it
 * with a {@link NetlinkSocket} or hand its {@link NlMessage#toBytes bytes} to another kernel.
 */
public final class Tc {
    private Tc() {
    }

    public static final int TC_H_ROOT = 0xFFFFFFFF;
    public static final int TC_H_INGRESS = 0xFFFFFFF1;
    /** The ingress qdisc's handle, ffff: */
    public static final int INGRESS_HANDLE = 0xFFFF0000;

    static final int TCA_KIND = 1;
    static final int TCA_OPTIONS = 2;
    /** struct tcmsg {u8 family; u8 pad; u16 pad; s32 ifindex; u32 handle; u32 parent; u32 info}. */
    static final int TCMSG_LEN = 20;

    // netem attributes after struct tc_netem_qopt
    static final int TCA_NETEM_REORDER = 3;
    static final int TCA_NETEM_CORRUPT = 4;
    static final int TCA_NETEM_RATE = 6;
    static final int TCA_NETEM_RATE64 = 8;
    static final int TCA_NETEM_LATENCY64 = 10;
    static final int TCA_NETEM_JITTER64 = 11;
    /** netem's queue limit in packets (tc's default). */
    static final int NETEM_LIMIT = 1000;

    static final int TCA_MATCHALL_ACT = 2;
    static final int TCA_ACT_KIND = 1;
    static final int TCA_ACT_OPTIONS = 2;
    static final int TCA_MIRRED_PARMS = 2;
    static final int TC_ACT_STOLEN = 4;
    static final int TCA_EGRESS_REDIR = 1;
    static final int ETH_P_ALL = 0x0003;

    /**
     * What netem does to each packet. Probabilities are fractions (0 to 1).
     *
     * @param delayNanos     added delay
     * @param jitterNanos    random variation of the delay (uniform, ±)
     * @param loss           probability that a packet is dropped
     * @param duplicate      probability that a packet is sent twice
     * @param corrupt        probability that one bit of a packet is flipped
     * @param reorder        probability that a packet skips the delay (and so overtakes others); needs a delay
     * @param rateBytesPerSecond link rate, 0 for no limit
     */
    public record Netem(long delayNanos, long jitterNanos, double loss, double duplicate, double corrupt,
                        double reorder, long rateBytesPerSecond) {
    }

    /** Creates or replaces the root qdisc of device {@code ifindex} with netem. */
    public static NlMessage replaceRootNetem(int ifindex, Netem n) {
        NlMessage m = new NlMessage(Netlink.RTM_NEWQDISC, Netlink.NLM_F_CREATE | Netlink.NLM_F_REPLACE)
                .raw(tcmsg(ifindex, 0, TC_H_ROOT, 0))
                .string(TCA_KIND, "netem");
        ByteBuffer qopt = le(24);
        qopt.putInt(0); // latency in ticks: given in nanoseconds below instead
        qopt.putInt(NETEM_LIMIT);
        qopt.putInt(probability(n.loss()));
        qopt.putInt(n.reorder() > 0 ? 1 : 0); // gap: reorder every packet that the probability picks
        qopt.putInt(probability(n.duplicate()));
        qopt.putInt(0); // jitter in ticks: see below
        m.beginPlain(TCA_OPTIONS).raw(qopt.array());
        if (n.delayNanos() > 0) {
            m.u64(TCA_NETEM_LATENCY64, n.delayNanos());
        }
        if (n.jitterNanos() > 0) {
            m.u64(TCA_NETEM_JITTER64, n.jitterNanos());
        }
        if (n.reorder() > 0) {
            m.bytes(TCA_NETEM_REORDER, le(8).putInt(probability(n.reorder())).putInt(0).array());
        }
        if (n.corrupt() > 0) {
            m.bytes(TCA_NETEM_CORRUPT, le(8).putInt(probability(n.corrupt())).putInt(0).array());
        }
        if (n.rateBytesPerSecond() > 0) {
            long rate = n.rateBytesPerSecond();
            // struct tc_netem_rate {u32 rate; s32 packet_overhead; u32 cell_size; s32 cell_overhead}
            m.bytes(TCA_NETEM_RATE, le(16).putInt(rate >= 0xFFFFFFFFL ? -1 : (int) rate).putInt(0).putInt(0).putInt(0)
                    .array());
            if (rate >= 0xFFFFFFFFL) {
                m.u64(TCA_NETEM_RATE64, rate);
            }
        }
        return m.end();
    }

    /** Deletes the root qdisc of device {@code ifindex} (the kernel's default comes back). */
    public static NlMessage deleteRoot(int ifindex) {
        return new NlMessage(Netlink.RTM_DELQDISC, 0).raw(tcmsg(ifindex, 0, TC_H_ROOT, 0));
    }

    /** Adds the ingress qdisc to device {@code ifindex}. */
    public static NlMessage addIngress(int ifindex) {
        return new NlMessage(Netlink.RTM_NEWQDISC, Netlink.NLM_F_CREATE)
                .raw(tcmsg(ifindex, INGRESS_HANDLE, TC_H_INGRESS, 0))
                .string(TCA_KIND, "ingress");
    }

    /** Deletes the ingress qdisc of device {@code ifindex}, and with it its filters. */
    public static NlMessage deleteIngress(int ifindex) {
        return new NlMessage(Netlink.RTM_DELQDISC, 0).raw(tcmsg(ifindex, INGRESS_HANDLE, TC_H_INGRESS, 0));
    }

    /**
     * A matchall filter (handle 1, priority 1, every protocol) on the ingress of {@code ifindex}
     * whose mirred action redirects each received packet to the egress of {@code toIfindex}.
     */
    public static NlMessage redirectIngress(int ifindex, int toIfindex) {
        int info = (1 << 16) | Short.toUnsignedInt(Short.reverseBytes((short) ETH_P_ALL)); // prio 1, htons(ETH_P_ALL)
        ByteBuffer mirred = le(28);
        mirred.putInt(0).putInt(0).putInt(TC_ACT_STOLEN).putInt(0).putInt(0); // struct tc_gen
        mirred.putInt(TCA_EGRESS_REDIR).putInt(toIfindex);
        return new NlMessage(Netlink.RTM_NEWTFILTER, Netlink.NLM_F_CREATE | Netlink.NLM_F_REPLACE)
                .raw(tcmsg(ifindex, 1, INGRESS_HANDLE, info))
                .string(TCA_KIND, "matchall")
                .begin(TCA_OPTIONS)
                .begin(TCA_MATCHALL_ACT)
                .begin(1) // the first action
                .string(TCA_ACT_KIND, "mirred")
                .begin(TCA_ACT_OPTIONS)
                .bytes(TCA_MIRRED_PARMS, mirred.array())
                .end().end().end().end();
    }

    /** A probability as netem's u32 scale (0 never, 2^32-1 always). */
    static int probability(double p) {
        if (p <= 0) {
            return 0;
        }
        if (p >= 1) {
            return -1;
        }
        return (int) Math.round(p * 4294967295.0);
    }

    private static byte[] tcmsg(int ifindex, int handle, int parent, int info) {
        return le(TCMSG_LEN).put((byte) Netlink.AF_UNSPEC).put((byte) 0).putShort((short) 0)
                .putInt(ifindex).putInt(handle).putInt(parent).putInt(info).array();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }
}
