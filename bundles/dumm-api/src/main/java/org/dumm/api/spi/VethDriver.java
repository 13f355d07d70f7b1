package org.dumm.api.spi;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Veth pairs on the host, through rtnetlink. Both ends of every pair it creates carry Dumm's
 * ownership marker (the one {@link TapDriver} uses); it refuses to change or delete a device
 * without it (NOT_OWNED). Deleting the host end deletes the peer, wherever the peer is.
 * Errors are {@link org.dumm.api.DummException}s.
 */
public interface VethDriver {

    /**
     * The host-namespace name of the peer of host end {@code name} until a backend moves it:
     * deterministic, so that a crash between creation and the move leaves names Dumm finds again.
     */
    static String peerName(String name) {
        CRC32 crc = new CRC32();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        return String.format("dmp%08x", crc.getValue());
    }

    /**
     * Creates the pair {@code name} / {@link #peerName peerName(name)}, both marked as Dumm's with
     * {@code owner}; the host end up and, when {@code bridge} is given, a port of it; the peer down.
     * Nothing is left behind when it fails.
     *
     * @throws org.dumm.api.DummException ALREADY_EXISTS, INVALID_ARGUMENT, HOST_ERROR; NOT_FOUND
     *         when the bridge does not exist, NOT_OWNED when it is not one of Dumm's bridges
     */
    void createUp(String name, String owner, String bridge);

    /**
     * As {@link #createUp}, with the peer made directly in the network namespace of process
     * {@code pid} as {@code guestName}, with MAC {@code mac} (null: the kernel's), down (the
     * guest sets it up; the host has no socket in that namespace): for a running guest, much cheaper than {@link #moveInto} afterwards. The peer, outside the host's
     * namespace, carries the device group but no alias.
     */
    void createUpInto(String name, String owner, String bridge, long pid, String guestName, String mac);

    /**
     * Hands the peer of host end {@code name} to the network namespace of process {@code pid},
     * renamed {@code guestName}, with MAC {@code mac} (null: the kernel's), up. NOT_FOUND when the
     * peer is not in the host's namespace.
     */
    void moveInto(String name, long pid, String guestName, String mac);

    /** Deletes one of Dumm's pairs by its host end. NOT_FOUND if absent, NOT_OWNED if not Dumm's. */
    void delete(String name);

    /**
     * Deletes many pairs by their host ends in one kernel operation. Names that do not exist are
     * ignored; names not owned fail the whole call before anything is deleted.
     */
    void deleteAll(Collection<String> names);

    /** True when a network device of that name exists on the host (owned or not). */
    boolean exists(String name);

    /** The owner text Dumm recorded on a veth, empty when it is not Dumm's veth or absent. */
    Optional<String> owner(String name);

    /** Names of all veth devices in the host's namespace that carry Dumm's marker (host ends and unmoved peers). */
    List<String> listOwned();
}
