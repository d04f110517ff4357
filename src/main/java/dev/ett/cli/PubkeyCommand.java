package dev.ett.cli;

import dev.ett.config.KeyFile;
import dev.ett.noise.X25519;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "pubkey", description = "Print the public key of a private key file.")
final class PubkeyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE")
  Path file;

  @Override
  public Integer call() throws Exception {
    byte[] priv = KeyFile.readPrivate(file);
    try {
      System.out.println(KeyFile.encode(X25519.publicKey(priv)));
    } finally {
      java.util.Arrays.fill(priv, (byte) 0);
    }
    return 0;
  }
}
