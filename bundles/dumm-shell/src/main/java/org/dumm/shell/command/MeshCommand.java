package org.dumm.shell.command;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.dumm.api.DummException;
import org.dumm.api.Guest;
import org.dumm.api.Mesh;

/** Base of the dumm:* commands: the Mesh reference and helpers shared by all of them. */
public abstract class MeshCommand implements Action {

    @Reference
    protected Mesh mesh;

    /** Names given, or every guest's name with {@code all}; an empty selection is an error. */
    protected List<String> guestsOrAll(List<String> names, boolean all) {
        List<String> selected = new ArrayList<>();
        if (all) {
            if (names != null && !names.isEmpty()) {
                throw new DummException(DummException.Reason.INVALID_ARGUMENT, "give guest names or --all, not both");
            }
            mesh.guests().stream().map(Guest::name).forEach(selected::add);
        } else if (names != null) {
            selected.addAll(names);
        }
        if (selected.isEmpty() && !all) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, "no guest named (give names or --all)");
        }
        return selected;
    }
}
