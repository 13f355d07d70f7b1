package org.dumm.shell.command;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.Bridge;
import org.dumm.api.DummException;

@Service
@Command(scope = "dumm", name = "bridge-delete", description = "Deletes segments; their interfaces are disconnected")
public class BridgeDeleteCommand extends MeshCommand {

    @Argument(index = 0, name = "names", multiValued = true)
    @Completion(BridgeNameCompleter.class)
    List<String> names;

    @Option(name = "--all", description = "Delete every bridge")
    boolean all;

    @Override
    public Object execute() {
        names = TrailingOptions.apply(this, names);
        List<String> selected = new ArrayList<>();
        if (all) {
            mesh.bridges().stream().map(Bridge::name).forEach(selected::add);
        } else if (names != null) {
            selected.addAll(names);
        } else {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, "no bridge named (give names or --all)");
        }
        for (String b : selected) {
            mesh.deleteBridge(b);
            System.out.println("bridge " + b + " deleted");
        }
        return null;
    }
}
