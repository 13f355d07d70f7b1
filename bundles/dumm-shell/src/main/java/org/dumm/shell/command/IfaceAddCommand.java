package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.Iface;
import org.dumm.api.Transport;

@Service
@Command(scope = "dumm", name = "iface-add", description = "Adds an interface: hot-plugged if the guest runs, else plugged at its next boot")
public class IfaceAddCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", description = "eth0 … eth99", required = true)
    String iface;


    @Argument(index = 2, name = "options", description = "Options may also follow the arguments", multiValued = true)
    List<String> trailing;
    @Option(name = "--bridge", description = "Connect it to this bridge")
    @Completion(BridgeNameCompleter.class)
    String bridge;

    @Option(name = "--mac", description = "Guest MAC (default: stable, derived from the names)")
    String mac;

    @Option(name = "--vector", description = "Use UML's vector transport (faster)")
    boolean vector;

    @Override
    public Object execute() {
        TrailingOptions.applyAll(this, trailing);
        Iface i = mesh.addInterface(guest, iface, bridge, mac, vector ? Transport.VECTOR : Transport.TUNTAP);
        System.out.println(i.guest() + "/" + i.name() + " added (tap " + i.tap() + ", mac " + i.mac()
                + (i.bridge() == null ? "" : ", bridge " + i.bridge()) + ")");
        return null;
    }
}
