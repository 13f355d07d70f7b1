package org.dumm.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one entry point users, commands and UIs talk to: guests, bridges, links, addresses,
 * templates, masters and exec. Every method validates its input first and, when it fails,
 * throws {@link DummException} after undoing what it had done.
 */
public interface Mesh {

    // ---- guests -------------------------------------------------------------------------

    /** Defines a new, stopped guest. Fails with ALREADY_EXISTS, INVALID_ARGUMENT, NOT_FOUND (master/kernel/backend). */
    Guest createGuest(GuestDefinition definition);

    /** Deletes a guest and its private diff. A running guest is refused unless {@code force}, which kills it first. */
    void deleteGuest(String name, boolean force);

    /**
     * Boots a stopped or crashed guest with its interfaces, links and addresses; returns once it
     * answers exec. Its startup ({@code /etc/dumm/startup}) has run by then, except in a systemd
     * guest, where it runs once systemd has finished booting: see {@link #awaitStartup}.
     */
    Guest startGuest(String name);

    /**
     * Waits until a running guest's startup after its last boot is done (for a systemd guest,
     * also the end of its boot), like {@code kathara exec --wait}. TIMEOUT after {@code timeout}.
     * A guest re-adopted after a restart of Dumm counts as done.
     */
    Guest awaitStartup(String name, Duration timeout);

    /**
     * Boots several guests in parallel with bounded concurrency. Guests that fail are reported in
     * the returned map (name to error message); the others are running.
     */
    Map<String, String> startGuests(Collection<String> names, Progress progress);

    /** Shuts a guest down gracefully, killing it after {@code timeout}. */
    Guest stopGuest(String name, Duration timeout);

    /** Stops several guests in parallel; returns failures by name. */
    Map<String, String> stopGuests(Collection<String> names, Duration timeout, Progress progress);

    /** Pauses a running guest (no CPU, memory kept). */
    Guest pauseGuest(String name);

    /** Resumes a paused guest. */
    Guest resumeGuest(String name);

    /** The guest of that name, if defined. */
    Optional<Guest> guest(String name);

    /** All guests, by name. */
    List<Guest> guests();

    // ---- interfaces, links, addresses -----------------------------------------------------

    /**
     * Adds an interface. On a running guest it is hot-plugged at once; on a stopped guest it is
     * recorded and plugged at the next boot.
     *
     * @param mac       MAC address or null for a stable one derived from guest and interface names
     * @param bridge    bridge to connect it to, or null
     * @param transport null for {@link Transport#TUNTAP}
     */
    Iface addInterface(String guest, String iface, String bridge, String mac, Transport transport);

    /** Removes an interface (brought down in the guest, unplugged, its TAP deleted). */
    void removeInterface(String guest, String iface);

    /** Attaches an interface's TAP to a bridge, detaching it from any other first. */
    Iface connect(String guest, String iface, String bridge);

    /** Detaches an interface's TAP from its bridge; the interface stays in the guest. */
    Iface disconnect(String guest, String iface);

    /** Adds an IPv4 or IPv6 address in CIDR form; applied in the guest now if it runs, and at every boot. */
    Iface addAddress(String guest, String iface, String cidr);

    /** Removes an address. */
    Iface removeAddress(String guest, String iface, String cidr);

    /**
     * Cuts ({@code up} false) or restores an interface's carrier without unplugging it: the
     * interface stays in the guest and on its bridge, the guest sees NO-CARRIER and nothing
     * passes. Recorded; on a stopped guest applied at its next boot.
     */
    Iface setCarrier(String guest, String iface, boolean up);

    /**
     * Sets how an interface's cable impairs packets in {@code direction} (replacing what was set
     * there; {@link Impairment#NONE} clears it). Applied at once on a running guest, recorded and
     * applied at every boot; when applying fails, the previous settings stay in force.
     */
    Iface setImpairment(String guest, String iface, LinkDirection direction, Impairment impairment);

    // ---- bridges -----------------------------------------------------------------------------

    /** Creates a bridge (a Linux bridge on the host, up, owned by Dumm). */
    Bridge createBridge(String name);

    /** Deletes a bridge; interfaces connected to it are disconnected first. */
    void deleteBridge(String name);

    /** The bridge of that name, if Dumm has it. */
    Optional<Bridge> bridge(String name);

    /** All bridges, by name. */
    List<Bridge> bridges();

    // ---- exec and console --------------------------------------------------------------------

    /** Runs {@code command} with {@code /bin/sh -c} in a running guest. A non-zero exit status is a result, not an error. */
    ExecResult exec(String guest, String command, Duration timeout);

    /**
     * Opens a shell session in a running guest: commands run one after another in one shell
     * (see {@link ExecSession}), which makes a burst of them much cheaper than single execs.
     */
    ExecSession openSession(String guest);

    /** Opens the guest's interactive console. */
    ConsoleSession console(String guest);

    // ---- templates -----------------------------------------------------------------------------

    /** Creates an empty template. */
    Template createTemplate(String name);

    /** Deletes a template; refused while it is loaded. */
    void deleteTemplate(String name);

    /** Loads a template live: from now on every guest reads it above its diff, and writes into it. */
    Template loadTemplate(String name);

    /** Unloads the loaded template live: guests read and write their own diff again. */
    void unloadTemplate();

    /** The loaded template, if any. */
    Optional<Template> loadedTemplate();

    /** All templates. */
    List<Template> templates();

    /** What a template changes, per guest. */
    List<TemplateDiff> diffTemplate(String name);

    /** Writes a template as a tar.gz archive. */
    void exportTemplate(String name, Path archive);

    /** Reads a template from a tar.gz archive made by {@link #exportTemplate}. */
    Template importTemplate(String name, Path archive);

    // ---- masters -------------------------------------------------------------------------------

    /** Available masters. */
    List<Master> masters();

    /** Builds a master; slow for debootstrap, with progress lines. A failure or interrupt leaves no master. */
    Master createMaster(MasterRequest request, Progress progress);

    /**
     * Registers a copy of an existing root as a master: a directory (a debootstrap tree) or a
     * tarball ({@code docker export}). ALREADY_EXISTS, NOT_FOUND, INVALID_ARGUMENT (not a root).
     */
    Master importMaster(String name, Path source, Progress progress);

    /** Deletes a master; INVALID_STATE while a guest is defined on it. */
    void deleteMaster(String name);

    /**
     * Runs a shell command line chrooted into a master (apt-get install, say), its output lines to
     * {@code output}; returns its exit status. INVALID_STATE while a guest on it runs: overlayfs
     * lowers must not change under a mounted guest, which would not see the change anyway.
     */
    int execInMaster(String name, String commandLine, Progress output);

    // ---- overview ------------------------------------------------------------------------------

    /** Counts and settings for {@code dumm:status}. */
    MeshStatus status();
}
