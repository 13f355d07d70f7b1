package org.dumm.lab;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.dumm.api.Progress;

/**
 * Labs on the mesh: a Netkit/Kathará lab directory or a Dumm YAML lab file read, planned against what Dumm remembers of
 * the lab and applied live. Every method fails with a {@link org.dumm.api.DummException} naming
 * the problem; a failing apply leaves the mesh as it was.
 */
public interface LabService {

    /** Reads a lab directory (lab.conf, else lab.yaml), a lab.conf or a YAML lab file without touching the mesh. */
    Lab read(Path source, LabOptions options);

    /** The plan an apply of {@code source} would carry out now. */
    LabPlan plan(Path source, LabOptions options);

    /** Carries out the plan, then remembers the lab; returns the plan carried out. */
    LabPlan apply(Path source, LabOptions options, Progress progress);

    /** Deletes a lab's guests and segments, from its remembered state; by name or source path. */
    void destroy(String nameOrPath, Progress progress);

    /**
     * Writes a remembered lab as it runs now, changes made by hand included (interfaces, bridges,
     * addresses, cable state, memory, master), as a Dumm YAML lab file; {@code file} null: not
     * written. Returns the YAML text.
     */
    String export(String name, Path file);

    /** The JSON Schema of Dumm's YAML lab files. */
    String schema();

    List<LabInfo> labs();

    Optional<LabInfo> info(String name);
}
