// SparkKit's public API speaks in the codec's value types (`SparkCredentials`, `SparkChatMessage`,
// `SparkFunction`, `SparkUsage`, `SparkEndpoint`, `SparkModelTable`, …), so `import SparkKit` alone
// must make them visible to callers.
@_exported import SparkCodec
