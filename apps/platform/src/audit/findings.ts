/** One thing the audit found wrong, named so an operator can go straight to the row. */
export interface Finding {
  kind:
    | 'checkpoint_signature'
    | 'log_shorter'
    | 'leaf_missing'
    | 'leaf_hash'
    | 'subtree_hash'
    | 'root_mismatch'
    | 'map_root_mismatch'
    | 'version_changed'
    | 'version_chain'
    | 'version_unlogged'
    | 'version_deleted'
    | 'erased_without_tombstone'
    | 'tombstone_invalid'
    | 'access_changed'
    | 'access_deleted'
    | 'access_unlogged'
    | 'decision_changed'
    | 'decision_source_missing'
    /** A read model (query.records, query.list_entries) serves something its source does not say. */
    | 'read_model_changed'
    /** A read model lacks a row its source says must be served. */
    | 'read_model_missing'
    /** A read model serves a row with no source, or whose content the store erased. */
    | 'read_model_unfounded';
  /** Where: a table and key, or a leaf index. */
  where: string;
  detail: string;
}

export interface AuditReport {
  findings: Finding[];
  checked: {
    checkpoints: number;
    leaves: number;
    versions: number;
    tombstones: number;
    accesses: number;
    decisions: number;
    readModelRecords: number;
    readModelListEntries: number;
  };
}
