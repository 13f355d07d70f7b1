package org.dumm.nativ.net;

import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.dumm.api.Impairment;
import org.dumm.nativ.Errno;
import org.dumm.nativ.NativeException;

/**
 * A guest's side of its cables, done by the guest's own kernel through rtnetlink: the carrier
 * the guest sees, and impairment with netem qdiscs. What the guest sends is shaped by netem at
 * the root of its interface; what it receives is redirected, on the interface's ingress, by a
 * matchall filter with a mirred action to an IFB device ({@link #ifbName}) whose root netem
 * shapes it. The requests are built here and handed to {@code kernel}, which delivers a batch
 * of messages to that kernel and returns its answers (see {@link NlBatch}).
 */
public final class LinkShaping {

    private final UnaryOperator<byte[]> kernel;

    /** @param kernel sends encoded requests to the guest's kernel, returns what it answered */
    public LinkShaping(UnaryOperator<byte[]> kernel) {
        this.kernel = kernel;
    }

    /** The IFB device that shapes what {@code iface} receives: {@code ifb-eth0}. */
    public static String ifbName(String iface) {
        return "ifb-" + iface;
    }

    /**
     * Carrier as the guest sees it. Off: link mode dormant and operational state DORMANT, so the
     * device is not RUNNING and {@code ip link} shows NO-CARRIER (a UML or veth device has no
     * carrier switch a guest-side program could use); on: default mode, state UP.
     */
    public void setCarrier(String iface, boolean on) {
        NlBatch b = new NlBatch().add(LinkRequest.named(iface)
                        .operstate(on ? Netlink.IF_OPER_UP : Netlink.IF_OPER_DORMANT, on ? 0 : 1).toMessage(0),
                "setting the carrier of " + iface + (on ? " on" : " off"));
        check(b, run(b));
    }

    /** Replaces the impairment of {@code iface} both ways; {@link Impairment#NONE} removes it. */
    public void setImpairment(String iface, Impairment toGuest, Impairment fromGuest) {
        String ifb = ifbName(iface);
        boolean in = !toGuest.isNone();
        NlBatch look = new NlBatch().add(getLink(iface), "looking up " + iface);
        if (in) {
            look.addLenient(LinkRequest.named(ifb).kind("ifb").up(true).toMessage(Netlink.NLM_F_CREATE),
                            "creating " + ifb + " to shape what " + iface + " receives")
                    .add(getLink(ifb), "looking up " + ifb);
        }
        List<NlBatch.Result> found = run(look);
        check(look, found);
        int index = Link.parse(found.get(0).message()).index();
        NlBatch tc = new NlBatch();
        if (fromGuest.isNone()) {
            tc.addLenient(Tc.deleteRoot(index), "removing the impairment of what " + iface + " sends");
        } else {
            tc.add(Tc.replaceRootNetem(index, netem(fromGuest)), "impairing what " + iface + " sends ("
                    + fromGuest.describe() + ")");
        }
        if (in) {
            int ifbIndex = Link.parse(found.get(2).message()).index();
            tc.addLenient(Tc.addIngress(index), "adding an ingress qdisc to " + iface)
                    .add(Tc.redirectIngress(index, ifbIndex), "redirecting what " + iface + " receives to " + ifb)
                    .add(Tc.replaceRootNetem(ifbIndex, netem(toGuest)), "impairing what " + iface + " receives ("
                            + toGuest.describe() + ")");
        } else {
            tc.addLenient(Tc.deleteIngress(index), "removing the ingress qdisc of " + iface)
                    .addLenient(NlMessage.link(Netlink.RTM_DELLINK, 0, 0, 0, 0).string(Netlink.IFLA_IFNAME, ifb),
                            "removing " + ifb);
        }
        // Removing what is not there, adding what is: both fine (a default root qdisc has
        // handle 0, which the kernel refuses to delete with EINVAL or ENOENT).
        check(tc, run(tc));
    }

    static Tc.Netem netem(Impairment m) {
        return new Tc.Netem(m.delayMicros() * 1000, m.jitterMicros() * 1000, m.lossPercent() / 100,
                m.duplicatePercent() / 100, m.corruptPercent() / 100, m.reorderPercent() / 100,
                m.rateBitsPerSecond() / 8);
    }

    private static NlMessage getLink(String name) {
        return NlMessage.link(Netlink.RTM_GETLINK, 0, 0, 0, 0).string(Netlink.IFLA_IFNAME, name)
                .u32(Netlink.IFLA_EXT_MASK, Netlink.RTEXT_FILTER_SKIP_STATS);
    }

    private List<NlBatch.Result> run(NlBatch b) {
        return b.results(kernel.apply(b.encode()));
    }

    private static final Set<Integer> NOTHING_TO_DO = Set.of(Errno.ENOENT, Errno.EINVAL, Errno.ENODEV, Errno.EEXIST);

    /** Throws for the first failure, except the expected ones of lenient requests. */
    private static void check(NlBatch b, List<NlBatch.Result> results) {
        for (int i = 0; i < results.size(); i++) {
            NlBatch.Failure f = results.get(i).failure();
            if (f != null && !(b.lenient(i) && NOTHING_TO_DO.contains(f.errno()))) {
                String text = org.dumm.nativ.Native.libc().strerror(f.errno());
                if (f.text() != null && !f.text().isEmpty()) {
                    text += "; kernel says: " + f.text();
                }
                throw new NativeException(b.operation(i), f.errno(), text);
            }
        }
    }
}
