// The tests start real clusters; on a small machine they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
