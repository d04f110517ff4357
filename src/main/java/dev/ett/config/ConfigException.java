package dev.ett.config;

import java.io.IOException;

/**
 * A configuration file that exists but cannot be used: bad content, or unsafe permissions. The
 * message starts with the file (and line, for line-oriented files) and says what was expected. It
 * extends {@link IOException} so that callers reading a file handle both failures in one place.
 */
public final class ConfigException extends IOException {
  public ConfigException(String message) {
    super(message);
  }
}
