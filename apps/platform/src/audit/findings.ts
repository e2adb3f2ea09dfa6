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
    | 'decision_source_missing';
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
  };
}
