package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.dumm.api.Bridge;

@Service
@Command(scope = "dumm", name = "bridge-list", description = "Lists segments and their ports")
public class BridgeListCommand extends MeshCommand {


    @Argument(index = 0, name = "options", description = "Options may also follow the arguments", multiValued = true)
    List<String> trailing;
    @Option(name = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public Object execute() {
        TrailingOptions.applyAll(this, trailing);
        List<Bridge> bridges = mesh.bridges();
        if (json) {
            System.out.println(Views.json(bridges.stream().map(Views::bridge).toList()));
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Name");
        table.column("Ports");
        for (Bridge b : bridges) {
            table.addRow().addContent(b.name(), Views.join(b.ports()));
        }
        table.print(System.out);
        return null;
    }
}
