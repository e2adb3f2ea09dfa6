export { accessValueHash, accessValueOf, emptyAccessChain, extendAccessChain } from './access-history.ts';
export {
  type CheckpointBody,
  checkpointBytes,
  checkpointFormat,
  checkpointSignatureType,
  tombstoneSignatureType,
} from './checkpoint.ts';
export {
  type AppendedLeaf,
  appendToFrontier,
  emptyFrontier,
  type Frontier,
  frontierRoot,
} from './frontier.ts';
export {
  type AccessLeaf,
  type DecisionLeaf,
  decodeLeaf,
  encodeLeaf,
  type LeafBody,
  type LeafKind,
  leafFormat,
  payloadCommitment,
  type RecordVersionLeaf,
  type TombstoneLeaf,
} from './leaves.ts';
export { emptyTreeRoot, hashSize, leafHash, nodeHash, splitPoint } from './log-hash.ts';
export {
  consistencyPlan,
  hashRanges,
  inclusionPlan,
  type RangeNeeded,
  subtreesNeeded,
  verifyConsistency,
  verifyInclusion,
} from './log-proofs.ts';
export {
  emptyMapHash,
  keyBit,
  keyPrefix,
  type MapChange,
  type MapNode,
  type MapNodeReader,
  type MapPosition,
  type MapProof,
  mapBranchHash,
  mapLeafHash,
  mapRootOf,
  positionId,
  proveKey,
  type StoredMapNode,
  updateMap,
  verifyMapProof,
} from './sparse-map.ts';
export {
  decomposeRange,
  foldSubtrees,
  type SubtreeRef,
  subtreeLastLeaf,
  subtreeStart,
  subtreesCompletedBy,
} from './subtrees.ts';
