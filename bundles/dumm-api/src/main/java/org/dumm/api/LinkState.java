package org.dumm.api;

/**
 * The state of an interface's cable as Dumm keeps it: whether it carries a signal and what it
 * does to packets each way. Persisted with the interface and applied again at every boot and
 * after a restart of Dumm.
 *
 * @param carrier   false after {@code link-down}: the guest sees no carrier, nothing passes
 * @param toGuest   impairment of packets coming into the guest
 * @param fromGuest impairment of packets the guest sends
 */
public record LinkState(boolean carrier, Impairment toGuest, Impairment fromGuest) {

    /** A plugged-in clean cable. */
    public static final LinkState DEFAULT = new LinkState(true, Impairment.NONE, Impairment.NONE);

    public LinkState {
        toGuest = toGuest == null ? Impairment.NONE : toGuest;
        fromGuest = fromGuest == null ? Impairment.NONE : fromGuest;
    }

    public boolean isDefault() {
        return equals(DEFAULT);
    }

    public LinkState withCarrier(boolean on) {
        return new LinkState(on, toGuest, fromGuest);
    }

    /** With {@code impairment} in {@code direction}, the other direction as it was. */
    public LinkState withImpairment(LinkDirection direction, Impairment impairment) {
        return new LinkState(carrier, direction == LinkDirection.OUT ? toGuest : impairment,
                direction == LinkDirection.IN ? fromGuest : impairment);
    }
}
