package org.dumm.api.spi;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Persistent TAP devices on the host, created in-process through {@code /dev/net/tun}.
 * Every device it creates carries Dumm's ownership marker; it refuses to modify or delete any
 * device without it (NOT_OWNED). Errors are {@link org.dumm.api.DummException}s.
 */
public interface TapDriver {

    /**
     * Creates a persistent TAP ({@code IFF_TAP|IFF_NO_PI}) and marks it as Dumm's.
     *
     * @param name  host device name, at most 15 bytes
     * @param owner free text recorded with the device (e.g. {@code alice:eth0})
     * @param mac   host-side MAC to set, or null for a kernel-chosen one
     * @throws org.dumm.api.DummException ALREADY_EXISTS, INVALID_ARGUMENT, HOST_ERROR
     */
    void create(String name, String owner, String mac);

    /**
     * As {@link #create}, and the TAP is administratively up and, when {@code bridge} is given, a
     * port of that bridge when this returns: marking, up and the port in one kernel request,
     * because connecting an interface to a running guest is on the user's clock. Nothing is left
     * behind when it fails.
     *
     * @param bridge one of Dumm's bridges, or null for none
     * @throws org.dumm.api.DummException as {@link #create}; NOT_FOUND when the bridge does not
     *         exist, NOT_OWNED when it is not one of Dumm's bridges
     */
    void createUp(String name, String owner, String mac, String bridge);

    /** Deletes one of Dumm's TAPs. NOT_FOUND if absent, NOT_OWNED if not Dumm's. */
    void delete(String name);

    /**
     * Deletes many of Dumm's TAPs in one kernel operation (much cheaper than one by one, which
     * waits for RCU per device). Names that do not exist are ignored; names not owned fail the
     * whole call before anything is deleted.
     */
    void deleteAll(Collection<String> names);

    /** Sets the device administratively up. */
    void up(String name);

    /** Sets the device administratively down. */
    void down(String name);

    /**
     * Sets the carrier of one of Dumm's TAPs. Off, the TAP's bridge port is disabled and no frame
     * passes either way; the kernel turns it on again when the guest next attaches to the TAP
     * (the mesh then sets it again). On needs the guest attached (the tun driver refuses
     * carrier on a TAP nobody holds open: EPERM).
     *
     * @throws org.dumm.api.DummException NOT_FOUND, NOT_OWNED, HOST_ERROR
     */
    default void setCarrier(String name, boolean on) {
        throw new org.dumm.api.DummException(org.dumm.api.DummException.Reason.HOST_ERROR,
                "this TAP driver cannot set a carrier");
    }

    /** True when a network device of that name exists on the host (owned or not). */
    boolean exists(String name);

    /** The device's MAC address, lower-case colon form. */
    String mac(String name);

    /** The owner text Dumm recorded, empty when the device is not Dumm's or absent. */
    Optional<String> owner(String name);

    /** Names of all TAP devices on the host that carry Dumm's marker. */
    List<String> listOwned();
}
