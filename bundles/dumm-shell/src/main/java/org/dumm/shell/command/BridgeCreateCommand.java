package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "bridge-create", description = "Creates a segment (a Linux bridge on the host)")
public class BridgeCreateCommand extends MeshCommand {

    @Argument(index = 0, name = "name", description = "Bridge name, at most 15 bytes", required = true)
    String name;

    @Override
    public Object execute() {
        System.out.println("bridge " + mesh.createBridge(name).name() + " created");
        return null;
    }
}
