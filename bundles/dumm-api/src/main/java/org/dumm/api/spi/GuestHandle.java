package org.dumm.api.spi;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

import org.dumm.api.ConsoleSession;
import org.dumm.api.DummException;
import org.dumm.api.ExecResult;

/**
 * A running guest as its backend controls it. Methods throw
 * {@link org.dumm.api.DummException} (GUEST_FAILURE, TIMEOUT, INVALID_STATE).
 */
public interface GuestHandle {

    /** Guest name. */
    String name();

    /** Host pid of the guest's main process. */
    long pid();

    /**
     * Completes when the guest's process has exited, with {@code true} when Dumm asked for it
     * (stop, kill) and {@code false} when it died by itself (crash, panic, external kill). Fires
     * within about a second of the exit.
     */
    CompletionStage<Boolean> exited();

    /** True while its process is alive. */
    boolean isAlive();

    /** Shuts down gracefully; kills it after {@code timeout}. Returns when the process is gone. */
    void stop(Duration timeout);

    /** Kills the process at once and waits until it is gone. */
    void kill();

    /** Freezes the guest (no CPU). */
    void pause();

    /** Thaws a paused guest. */
    void resume();

    /** True while paused. */
    boolean isPaused();

    /** Hot-plugs an interface bound to an existing host TAP. */
    void plugInterface(InterfaceSpec iface);

    /**
     * Plugs an interface and brings it up in the guest; {@code makeTap} makes its host TAP or
     * throws, so a backend need not look for the TAP afterwards. The default does the three one
     * after another. A backend whose guest binds the TAP only when the link comes up runs
     * {@code makeTap} while the guest registers the device, and returns as soon as it has asked
     * for the link-up, so that the caller can do its own work meanwhile and then
     * {@link Completion#await await}. If this or the completion throws, the caller unplugs the
     * interface ({@link #unplugInterface} copes with one that never got plugged) and removes the TAP.
     */
    default Completion plugInterfaceUp(InterfaceSpec iface, Runnable makeTap) {
        makeTap.run();
        plugInterface(iface);
        setLinkUp(iface.name(), true);
        return () -> { };
    }

    /** A step the guest may still be doing. */
    @FunctionalInterface
    interface Completion {
        /**
         * Waits until the guest has done it.
         *
         * @throws DummException when the guest failed or did not answer in time
         */
        void await();
    }

    /** Brings the interface down in the guest and unplugs it. */
    void unplugInterface(String ifaceName);

    /**
     * Sets an interface up or down inside the guest. The default runs {@code ip link} through
     * {@link #exec}; backends with a cheaper way (no process in the guest) override it.
     *
     * @throws DummException GUEST_FAILURE when the guest has no such interface
     */
    default void setLinkUp(String ifaceName, boolean up) {
        ExecResult r = exec("ip link set dev " + ifaceName + (up ? " up" : " down"), Duration.ofSeconds(10));
        if (!r.succeeded()) {
            throw new DummException(DummException.Reason.GUEST_FAILURE,
                    "guest '" + name() + "': setting " + ifaceName + (up ? " up" : " down") + " failed: "
                            + r.stderrText().trim());
        }
    }

    /**
     * Shows the guest its interface's carrier as gone ({@code on} false: the interface is not
     * RUNNING, {@code ip link} says NO-CARRIER) or back. The mesh cuts the traffic itself, on the
     * host side of the cable; this is what the guest's software sees of it. The default says the
     * backend cannot.
     *
     * @throws DummException INVALID_STATE when the backend cannot, GUEST_FAILURE when the guest refused
     */
    default void setCarrier(String ifaceName, boolean on) {
        throw new DummException(DummException.Reason.INVALID_STATE,
                "guest '" + name() + "': its backend cannot show a carrier change to the guest");
    }

    /**
     * Makes the interface's cable impair packets: {@code toGuest} on what the guest receives,
     * {@code fromGuest} on what it sends ({@link org.dumm.api.Impairment#NONE} for none),
     * replacing what was set before. Either both directions are applied or, on failure, the
     * backend has tried to put the previous settings back and throws. The default says the
     * backend cannot.
     *
     * @throws DummException INVALID_STATE when the backend cannot, GUEST_FAILURE when the guest's
     *         kernel refused (e.g. a missing qdisc)
     */
    default void setImpairment(String ifaceName, org.dumm.api.Impairment toGuest, org.dumm.api.Impairment fromGuest) {
        throw new DummException(DummException.Reason.INVALID_STATE,
                "guest '" + name() + "': its backend cannot impair links");
    }

    /**
     * Called after the host switched the overlay mounted at {@code union} (the guest's root) to a
     * new layer stack, a template having been loaded or unloaded: the guest must see the new one
     * from now on. The default does nothing, right for a guest that reads its root through that
     * host path (UML's hostfs); a guest whose root is a mount of its own (a mount namespace) must
     * take the new mount. On failure the guest keeps the root it had and this throws.
     *
     * @throws DummException GUEST_FAILURE when the guest could not take it
     */
    default void rootSwitched(java.nio.file.Path union) {
    }

    /**
     * Runs {@code /bin/sh -c command} in the guest. Several calls may run at once.
     *
     * @param timeout the command is killed in the guest after this
     */
    ExecResult exec(String command, Duration timeout);

    /**
     * Opens a shell session in the guest (see {@link org.dumm.api.ExecSession}) and returns its
     * number; empty when the backend or the guest's agent has none (the mesh then runs each
     * command as a single exec).
     */
    default java.util.OptionalInt openShell() {
        return java.util.OptionalInt.empty();
    }

    /**
     * Runs {@code command} in shell session {@code shell}, as {@link #exec} otherwise.
     *
     * @throws DummException NOT_FOUND when the session is gone (it ended, or the guest restarted):
     *         the command did not run
     */
    default ExecResult execInShell(int shell, String command, Duration timeout) {
        throw new DummException(DummException.Reason.NOT_FOUND, "guest '" + name() + "' has no shell session " + shell);
    }

    /** Ends shell session {@code shell}; one that is gone already is no error. */
    default void closeShell(int shell) {
    }

    /** Opens the guest's interactive console. */
    ConsoleSession console();

    /** Releases host-side resources (channels, threads) without touching the guest. */
    void detach();
}
