package org.dumm.test;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs scenario directories in strongSwan's testing format on the mesh's running guests and
 * judges them; see docs/user-guide.md, "Scenario tests".
 */
public interface ScenarioRunner {

    /**
     * Runs every scenario under {@code paths} (a scenario directory, one holding {@code test.conf},
     * or a directory of them, searched recursively, sorted). A malformed or missing file fails that
     * scenario; the run goes on.
     *
     * @param progress one line per scenario (and per command with {@link RunOptions#verbose})
     */
    RunReport run(List<Path> paths, RunOptions options, Consumer<String> progress);

    /** Writes {@code report} as JUnit XML: one testcase per scenario, the first failing line as failure message. */
    void writeJUnit(RunReport report, Path file);

    /**
     * Writes {@code report} as HTML into {@code dir}: {@code index.html} (counts per category, each
     * scenario's verdict and time) and a page per scenario (description, diagram, console log).
     */
    void writeHtml(RunReport report, Path dir);
}
