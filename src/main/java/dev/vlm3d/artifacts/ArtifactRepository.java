package dev.vlm3d.artifacts;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reads of artifact metadata. Listing and look-up serve downloads, so each is one autocommit SELECT: they join a
 * caller's transaction but open none of their own. Writes are not here: see {@link ArtifactRows}.
 */
public interface ArtifactRepository extends JpaRepository<Artifact, Artifact.Key> {

    @Transactional(propagation = Propagation.SUPPORTS)
    List<Artifact> findByIdJobIdAndIdKindOrderByIdName(UUID jobId, ArtifactKind kind);

    @Override
    @Transactional(propagation = Propagation.SUPPORTS)
    Optional<Artifact> findById(Artifact.Key id);

    /** Count and bytes of one kind of artifact. */
    record KindTotal(ArtifactKind kind, long count, long bytes) {}

    @Transactional(propagation = Propagation.SUPPORTS)
    @Query("""
            SELECT new dev.vlm3d.artifacts.ArtifactRepository$KindTotal(a.id.kind, count(a), coalesce(sum(a.sizeBytes), 0))
            FROM Artifact a GROUP BY a.id.kind""")
    List<KindTotal> totalsByKind();
}
