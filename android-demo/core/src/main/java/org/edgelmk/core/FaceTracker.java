package org.edgelmk.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Follows faces from frame to frame as {@code edgelmk.runtime.Pipeline.stream} does, tested
 * against it on a recorded sequence (same boxes, same filtered keypoints within 1e-4 px).
 *
 * <p>Per frame: if {@link #needsDetection()} (no face followed, a face lost, or
 * {@code redetectEvery} frames since the last detection) give the detector's calibrated boxes to
 * {@link #detected}; then {@link #update} predicts every tracked face in its box, sets the next
 * frame's box to the box of its landmarks moved by the face's velocity times this frame's interval
 * (an exponential average of the steps of its keypoints' mean, the newest weighted
 * {@code boxMotion}; the first step after a box from the detector starts it), marks it lost when
 * its mean score falls below {@code lostRatio} times its score when found or its box centre leaves
 * the frame (the face is not shown), or when the width or height of its landmark box moves more than {@code maxResize}
 * away from the detector box it last matched (landmarks spreading onto the background: the face is
 * shown, and detected again on the next frame), and smooths its keypoints with a
 * {@link FaceSmoother}. Each face keeps its id while it is followed.
 */
public final class FaceTracker {
    /** A detection continues a followed face when their boxes overlap this much (IoU). */
    static final double MATCH_IOU = 0.3;
    /** Two followed faces this close (IoU of their landmark boxes) are one: the lower-scored is dropped. */
    static final double DUPLICATE_IOU = 0.5;
    /** A followed face the detector misses this many times in a row ends. */
    static final int MAX_MISSES = 2;

    /** The landmarks a model finds in a box of the current frame (frame pixels). */
    public interface Landmarks {
        Keypoints predict(double[] box);
    }

    /** One face in one frame: its track id, the box its landmarks were predicted in, its keypoints. */
    public static final class Face {
        public final int id;
        public final double[] box;
        public final Keypoints keypoints;

        Face(int id, double[] box, Keypoints keypoints) {
            this.id = id;
            this.box = box;
            this.keypoints = keypoints;
        }
    }

    private static final class Track {
        final int id;
        double[] box;
        double referenceScore;
        double[] foundSize;  // width, height of the detector box it last matched
        double[] centre;  // mean of its last keypoints, px, since its box came from the detector; null before
        double[] velocity;  // px / s of that mean, exponentially averaged; null before two frames
        FaceSmoother smoother;
        boolean lost;
        int misses;

        Track(int id, double[] box) {
            this.id = id;
            this.box = box;
        }
    }

    private final int redetectEvery;
    private final double lostRatio;
    private final double maxResize;
    private final double boxMotion;
    private final boolean tracking;
    private final double[] oneEuro;  // min_cutoff, beta, d_cutoff, shape_beta; null: no smoothing
    private List<Track> tracks = new ArrayList<Track>();
    private int sinceDetection;
    private int nextId;

    /**
     * @param maxResize a followed face is detected again when its landmark box's width or height is
     *     more than {@code 1 + maxResize} times (or less than {@code 1 / (1 + maxResize)} times) the
     *     width or height of the detector box it last matched
     * @param boxMotion weight of the newest step in a face's velocity (0 to 1; 0: the next box is the
     *     landmark box itself)
     * @param tracking false: detect every frame (boxes from the detector only)
     * @param oneEuro {minCutoff, beta, dCutoff, shapeBeta} of the {@link FaceSmoother}, or null for no smoothing
     */
    public FaceTracker(int redetectEvery, double lostRatio, double maxResize, double boxMotion, boolean tracking,
            double[] oneEuro) {
        if (redetectEvery < 1 || !(lostRatio >= 0 && lostRatio < 1) || !(maxResize > 0)
                || !(boxMotion >= 0 && boxMotion <= 1)) {
            throw new IllegalArgumentException("need redetectEvery >= 1, 0 <= lostRatio < 1, maxResize > 0 and "
                    + "0 <= boxMotion <= 1 (got " + redetectEvery + ", " + lostRatio + ", " + maxResize + ", "
                    + boxMotion + ")");
        }
        if (oneEuro != null) {
            if (oneEuro.length != 4) {
                throw new IllegalArgumentException("oneEuro needs 4 values {minCutoff, beta, dCutoff, shapeBeta}, got "
                        + oneEuro.length);
            }
            new FaceSmoother(oneEuro[0], oneEuro[1], oneEuro[2], oneEuro[3]);  // checks the parameters now
        }
        this.redetectEvery = redetectEvery;
        this.lostRatio = lostRatio;
        this.maxResize = maxResize;
        this.boxMotion = boxMotion;
        this.tracking = tracking;
        this.oneEuro = oneEuro == null ? null : oneEuro.clone();
        this.sinceDetection = redetectEvery;
    }

    /** Whether the detector must run on this frame. */
    public boolean needsDetection() {
        if (!tracking || tracks.isEmpty() || sinceDetection >= redetectEvery) {
            return true;
        }
        for (Track track : tracks) {
            if (track.lost) {
                return true;
            }
        }
        return false;
    }

    /**
     * This frame's detections (calibrated boxes x0, y0, x1, y1, best first): matched to the followed
     * faces; a followed face no box matches carries on while its landmarks hold it, up to
     * {@link #MAX_MISSES} detections in a row.
     */
    public void detected(List<double[]> boxes) {
        List<Track> continued = new ArrayList<Track>();
        List<Track> free = new ArrayList<Track>(tracks);
        for (double[] box : boxes) {
            int best = -1;
            double bestOverlap = -1;
            for (int i = 0; i < free.size(); i++) {
                double overlap = iou(box, free.get(i).box);
                if (overlap > bestOverlap) {
                    best = i;
                    bestOverlap = overlap;
                }
            }
            Track track;
            if (best >= 0 && bestOverlap >= MATCH_IOU) {
                track = free.remove(best);
                if (track.lost || !tracking) {
                    track.box = box.clone();
                    track.lost = false;
                    track.referenceScore = 0;
                    track.centre = null;
                    track.velocity = null;
                }
            } else if (overlapsAny(box, continued)) {
                continue;  // a second box on a face already matched
            } else {
                track = new Track(nextId++, box.clone());
            }
            track.misses = 0;
            track.foundSize = size(box);
            continued.add(track);
        }
        for (Track track : free) {  // a face the landmarks still hold survives a detector that missed it, a while
            if (tracking && !track.lost && track.misses < MAX_MISSES) {
                track.misses++;
                continued.add(track);
            }
        }
        tracks = continued;
        sinceDetection = 0;
    }

    /**
     * The faces of this frame.
     *
     * @param width frame width, pixels
     * @param height frame height, pixels
     * @param dt seconds since the previous frame
     */
    public List<Face> update(Landmarks landmarks, int width, int height, double dt) {
        List<Face> faces = new ArrayList<Face>();
        List<Track> faceTracks = new ArrayList<Track>();
        for (Track track : tracks) {
            Keypoints keypoints = landmarks.predict(track.box.clone());
            double meanScore = mean(keypoints.scores);
            if (track.referenceScore == 0) {
                track.referenceScore = meanScore;
            }
            double[] nextBox = landmarkBox(keypoints);
            double[] shift = motion(track, keypoints.mean(), dt);
            double centreX = (nextBox[0] + nextBox[2]) / 2;
            double centreY = (nextBox[1] + nextBox[3]) / 2;
            boolean inside = centreX >= 0 && centreX <= width - 1 && centreY >= 0 && centreY <= height - 1;
            boolean unreliable = meanScore < lostRatio * track.referenceScore || !inside;
            track.lost = unreliable || (tracking && resized(nextBox, track.foundSize));
            Face face = new Face(track.id, track.box, keypoints);
            track.box = new double[] {nextBox[0] + shift[0], nextBox[1] + shift[1], nextBox[2] + shift[0],
                nextBox[3] + shift[1]};
            if (unreliable) {
                continue;
            }
            if (oneEuro != null) {
                if (track.smoother == null) {
                    track.smoother = new FaceSmoother(oneEuro[0], oneEuro[1], oneEuro[2], oneEuro[3]);
                }
                track.smoother.apply(keypoints, dt, side(nextBox));
            }
            faces.add(face);
            faceTracks.add(track);
        }
        dropDuplicates(faces, faceTracks);
        sinceDetection++;
        return faces;
    }

    /**
     * Pixels the next box moves by: the track's velocity, updated with {@code centre} (the mean of this
     * frame's keypoints), times {@code dt}; zero without tracking or box motion, and on the first frame
     * after the box came from the detector.
     */
    private double[] motion(Track track, double[] centre, double dt) {
        if (!tracking || boxMotion == 0) {
            return new double[] {0, 0};
        }
        if (track.centre != null) {
            double[] step = {(centre[0] - track.centre[0]) / dt, (centre[1] - track.centre[1]) / dt};
            if (track.velocity == null) {
                track.velocity = step;
            } else {
                track.velocity[0] += boxMotion * (step[0] - track.velocity[0]);
                track.velocity[1] += boxMotion * (step[1] - track.velocity[1]);
            }
        }
        track.centre = centre;
        return track.velocity == null ? new double[] {0, 0}
                : new double[] {track.velocity[0] * dt, track.velocity[1] * dt};
    }

    private static boolean overlapsAny(double[] box, List<Track> tracks) {
        for (Track track : tracks) {
            if (iou(box, track.box) >= MATCH_IOU) {
                return true;
            }
        }
        return false;
    }

    /** Two tracks that converged on one face: the one with the lower mean score ends (on a tie, the newer). */
    private void dropDuplicates(List<Face> faces, List<Track> faceTracks) {
        boolean[] dropped = new boolean[faces.size()];
        for (int i = 0; i < faces.size(); i++) {
            for (int j = i + 1; j < faces.size(); j++) {
                if (iou(landmarkBox(faces.get(i).keypoints), landmarkBox(faces.get(j).keypoints)) > DUPLICATE_IOU) {
                    double scoreI = mean(faces.get(i).keypoints.scores);
                    double scoreJ = mean(faces.get(j).keypoints.scores);
                    boolean jWorse = scoreJ < scoreI || (scoreJ == scoreI && faces.get(j).id > faces.get(i).id);
                    dropped[jWorse ? j : i] = true;
                }
            }
        }
        for (int i = faces.size() - 1; i >= 0; i--) {
            if (dropped[i]) {
                faces.remove(i);
                tracks.remove(faceTracks.get(i));
            }
        }
    }

    /** The tight box of the keypoints (rounded to float32, as the Python pipeline keeps it). */
    static double[] landmarkBox(Keypoints keypoints) {
        float x0 = Float.POSITIVE_INFINITY;
        float y0 = Float.POSITIVE_INFINITY;
        float x1 = Float.NEGATIVE_INFINITY;
        float y1 = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < keypoints.count(); k++) {
            x0 = Math.min(x0, keypoints.x[k]);
            y0 = Math.min(y0, keypoints.y[k]);
            x1 = Math.max(x1, keypoints.x[k]);
            y1 = Math.max(y1, keypoints.y[k]);
        }
        return new double[] {x0, y0, x1, y1};
    }

    /** Width and height of a box, px (at least 1e-6). */
    static double[] size(double[] box) {
        return new double[] {Math.max(box[2] - box[0], 1e-6), Math.max(box[3] - box[1], 1e-6)};
    }

    private boolean resized(double[] box, double[] reference) {
        double[] now = size(box);
        double limit = Math.log1p(maxResize);
        return Math.abs(Math.log(now[0] / reference[0])) > limit || Math.abs(Math.log(now[1] / reference[1])) > limit;
    }

    static double side(double[] box) {
        return Math.sqrt(Math.max(box[2] - box[0], 1e-6) * Math.max(box[3] - box[1], 1e-6));
    }

    static double iou(double[] a, double[] b) {
        double width = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
        double height = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
        double inter = width * height;
        double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return inter / Math.max(union, 1e-9);
    }

    private static double mean(float[] values) {
        double sum = 0;
        for (float value : values) {
            sum += value;
        }
        return values.length == 0 ? 0 : sum / values.length;
    }
}
