package org.dumm.api;

import java.time.Duration;

/**
 * Commands run one after another in one shell of a running guest ({@link Mesh#openSession}), for
 * bursts such as a scenario's lines or a lab's checks: no process is made per command, so a
 * builtin costs no fork, which under UML is what makes a burst of single execs slow. The
 * commands share the shell, as lines of one script do: variables, functions, options and traps
 * one sets are seen by the next; the working directory is reset to {@code /root} before each.
 * A command that exits the shell or times out ends that shell; the next command gets a new one.
 * Where the guest's backend or agent has no sessions each command runs as a single
 * {@link Mesh#exec} (same results, no shared state). Not for concurrent use; close it when done.
 */
public interface ExecSession extends AutoCloseable {

    /** The guest it runs in. */
    String guest();

    /** Runs {@code command} in the session's shell; as {@link Mesh#exec} otherwise. */
    ExecResult exec(String command, Duration timeout);

    /** Ends the session's shell; what its commands started in the background goes on. */
    @Override
    void close();
}
