package org.dumm.api.spi;

import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * Linux bridges on the host, managed in-process (ioctl / rtnetlink). Devices it creates carry
 * Dumm's ownership marker; it refuses to modify or delete a bridge without it (NOT_OWNED).
 */
public interface BridgeDriver {

    /** Creates a bridge, marks it as Dumm's and sets it up. ALREADY_EXISTS, INVALID_ARGUMENT. */
    void create(String name);

    /** Deletes one of Dumm's bridges (its ports are released, not deleted). */
    void delete(String name);

    /** Deletes many of Dumm's bridges in one kernel operation; absent names are ignored. */
    void deleteAll(Collection<String> names);

    /** Attaches a network device as a port. NOT_FOUND for a missing bridge or port. */
    void addPort(String bridge, String port);

    /** Detaches a port. NOT_FOUND if it is not a port of that bridge. */
    void removePort(String bridge, String port);

    /** Names of the bridge's ports. */
    List<String> ports(String bridge);

    /** Sets the bridge up. */
    void up(String name);

    /** Sets the bridge down. */
    void down(String name);

    /** Turns the spanning tree protocol on or off (off by default). */
    void setStp(String name, boolean on);

    /** Sets how long learned MAC addresses are kept. */
    void setAgeingTime(String name, Duration ageing);

    /** True when a network device of that name exists on the host (owned or not). */
    boolean exists(String name);

    /** True when the device exists and carries Dumm's marker. */
    boolean isOwned(String name);

    /** Names of all bridges on the host that carry Dumm's marker. */
    List<String> listOwned();
}
