"""A parametric 3D head for procedural faces: a textured, lit mesh with the landmarks on its surface.

Generator version 3 of :class:`edgelmk.data.synthetic.SyntheticFaces`. Units and axes are those
of :func:`edgelmk.data.synthetic.face_shape_3d`: half the face width ~ 1, x to the image right,
y down, z toward the camera; "canonical" points are (x, y) on the frontal face.

- **Surface**: a height field ``z = S(x, y)`` over the head outline (jaw + forehead): a dome
  that falls steeply to the outline's own depth (the temples far back, the chin forward), plus
  the nose ridge, tip and alae, brow ridges, cheekbones, lips, chin, eye sockets and eyeballs as
  Gaussian bumps placed by the 68 points (:meth:`HeadSurface.height`).
- **Mesh**: rings from the face centre to the outline (so the mesh's edge is the outline
  itself), rotated and projected with the same pinhole camera as the landmarks.
- **Rendering**: triangles back to front into a triangle-id image at twice the resolution;
  each pixel maps back through its triangle's affine map to the canonical face, whose texture
  (skin, eyes, brows, lips... drawn flat) and normals (from ``S``, rotated) are sampled there and
  lit (ambient + Lambertian + Blinn-Phong); area-averaged to the output size (anti-aliased edges).
- **Landmarks** are canonical points lifted onto the surface and projected, so they move with
  the rendered skin exactly; the jaw's contour points slide to the visible silhouette under yaw
  (:meth:`HeadSurface.silhouette_jaw`), as annotators of 300W and WFLW place them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from edgelmk import optional

#: canonical (x, y) range the face texture covers, face units
TEXTURE_RANGE = ((-1.6, 1.6), (-1.9, 1.7))
#: mesh resolution: rings from the centre to the outline, points around each ring
RINGS, SPOKES = 14, 64
#: where the rings lie between the centre (0) and the outline (1): finer toward the steep edge
RING_FRACTIONS = (np.arange(RINGS + 1) / RINGS) ** 0.8
#: the grid the surface normals are computed on before they are resized to the texture
NORMAL_GRID = 64
#: the supersampling factor of the rasterizer (anti-aliased silhouettes)
SUPERSAMPLE = 2


def _gaussians(points: np.ndarray, centres: np.ndarray, heights: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """(N,) sum over bumps of ``heights * exp(-|(p - centres) / sigmas|^2 / 2)``; sigmas (B, 2) per axis."""
    offset = (points[:, None, :] - centres[None]) / sigmas[None]
    return np.exp(-0.5 * np.sum(offset ** 2, axis=-1)) @ heights


@dataclass(eq=False)
class HeadSurface:
    """The head's surface ``z = S(x, y)`` over its outline, from one face's 68 3D points.

    Attributes:
        outline: (P, 2) canonical closed head outline (jaw 0..16, then the forehead), star-shaped
            around ``centre``.
        edge_z: (P,) the surface's z on the outline.
        centre: (2,) canonical point the rings grow from.
        crest: z of the dome at the centre (before the relief).
        bumps: (centres (B, 2), heights (B,), sigmas (B, 2)) of the facial relief.
    """

    outline: np.ndarray
    edge_z: np.ndarray
    centre: np.ndarray
    crest: float
    bumps: tuple[np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def of_face(cls, points: np.ndarray, outline: np.ndarray, rng: np.random.Generator) -> "HeadSurface":
        """The surface through a face's 68 points (300W order, (68, 3)) and its closed 3D outline (P, 3)
        (its z: how far back each part of the head's edge lies)."""
        eyes = np.stack([points[36:42, :2].mean(0), points[42:48, :2].mean(0)])
        mouth = points[48:60, :2].mean(0)
        centre = np.array([0.0, (points[27, 1] + points[33, 1]) / 2])
        nose_rise = rng.uniform(0.22, 0.36)
        relief = [  # (canonical centre, height, (sigma x, sigma y))
            (points[30, :2], nose_rise, (0.09, 0.08)), (points[29, :2], nose_rise * 0.62, (0.08, 0.09)),
            (points[28, :2], nose_rise * 0.42, (0.07, 0.09)), (points[27, :2], nose_rise * 0.28, (0.08, 0.08)),
            (points[33, :2], nose_rise * 0.35, (0.1, 0.05)),
            (points[31, :2], nose_rise * 0.2, (0.06, 0.05)), (points[35, :2], nose_rise * 0.2, (0.06, 0.05)),
            (eyes[0], -0.1, (0.16, 0.1)), (eyes[1], -0.1, (0.16, 0.1)),  # sockets
            (eyes[0], 0.05, (0.09, 0.06)), (eyes[1], 0.05, (0.09, 0.06)),  # eyeballs under the lids
            (points[19, :2], rng.uniform(0.03, 0.07), (0.2, 0.06)),  # brow ridges
            (points[24, :2], rng.uniform(0.03, 0.07), (0.2, 0.06)),
            ((points[2, :2] + points[31, :2]) / 2 - [0, 0.12], 0.06, (0.16, 0.14)),  # cheekbones
            ((points[14, :2] + points[35, :2]) / 2 - [0, 0.12], 0.06, (0.16, 0.14)),
            (mouth, rng.uniform(0.04, 0.09), (0.24, 0.1)),
            (points[8, :2] - [0, 0.12], rng.uniform(0.03, 0.08), (0.18, 0.1)),  # chin
            (points[48, :2], -0.03, (0.05, 0.05)), (points[54, :2], -0.03, (0.05, 0.05)),
        ]
        bumps = (np.array([c for c, _, _ in relief]), np.array([h for _, h, _ in relief]),
                 np.array([s for _, _, s in relief]))
        outline = np.asarray(outline, np.float64)
        return cls(outline[:, :2], outline[:, 2], centre, crest=float(rng.uniform(0.0, 0.2)), bumps=bumps)

    def _along_outline(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N,) distance from the centre relative to the outline's along the same ray (1 on the outline),
        and (N,) the outline's z where that ray meets it."""
        offset = self.outline - self.centre
        angles = np.arctan2(offset[:, 1], offset[:, 0])
        order = np.argsort(angles)
        angles, lengths, depths = angles[order], np.linalg.norm(offset, axis=1)[order], self.edge_z[order]
        angles = np.concatenate([angles[-1:] - 2 * np.pi, angles, angles[:1] + 2 * np.pi])
        lengths = np.concatenate([lengths[-1:], lengths, lengths[:1]])
        depths = np.concatenate([depths[-1:], depths, depths[:1]])
        relative = np.asarray(points, np.float64).reshape(-1, 2) - self.centre
        ray = np.arctan2(relative[:, 1], relative[:, 0])
        return np.linalg.norm(relative, axis=1) / np.interp(ray, angles, lengths), np.interp(ray, angles, depths)

    def radius(self, points: np.ndarray) -> np.ndarray:
        """(N,) distance from the centre relative to the outline's along the same ray (1 on the outline)."""
        return self._along_outline(points)[0]

    def height(self, points: np.ndarray) -> np.ndarray:
        """(N,) z of the surface over canonical (N, 2) points (the edge's z beyond the outline)."""
        points = np.asarray(points, np.float64).reshape(-1, 2)
        radius, edge = self._along_outline(points)
        rise = np.sqrt(np.clip(1 - radius ** 2, 0, 1))
        return edge + (self.crest - edge + _gaussians(points, *self.bumps)) * rise

    def lift(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) canonical (N, 2) points on the rendered surface: the mesh's triangles, linear between
        its vertices (which lie on :meth:`height`), so that a lifted point projects exactly where
        the renderer draws its texel; points beyond the outline get the edge's z."""
        points = np.asarray(points, np.float64).reshape(-1, 2)
        vertices, triangles = self.mesh
        candidates = self._triangles_under(points, vertices)  # (N, 2): the two triangles of its mesh cell
        corners = vertices[triangles[candidates]]  # (N, 2, 3, 2)
        origin = corners[..., 0, :]
        edge_1, edge_2 = corners[..., 1, :] - origin, corners[..., 2, :] - origin
        offset = points[:, None, :] - origin
        determinant = edge_1[..., 0] * edge_2[..., 1] - edge_1[..., 1] * edge_2[..., 0]
        first = (offset[..., 0] * edge_2[..., 1] - offset[..., 1] * edge_2[..., 0]) / determinant
        second = (edge_1[..., 0] * offset[..., 1] - edge_1[..., 1] * offset[..., 0]) / determinant
        weights = np.stack([1 - first - second, first, second], axis=-1)  # (N, 2, 3)
        chosen = np.argmax(weights.min(axis=-1), axis=1)  # the candidate that holds the point
        rows = np.arange(len(points))
        heights = self.height(vertices)[triangles[candidates[rows, chosen]]]
        z = np.sum(weights[rows, chosen] * heights, axis=1)
        outside = self.radius(points) > 1
        z[outside] = self.height(points[outside])
        return np.concatenate([points, z[:, None]], axis=1)

    def _triangles_under(self, points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
        """(N, 2) indices into :attr:`mesh`'s triangles: the two of the mesh cell over each point (its
        sector between two spokes, its band between two rings; the centre's fan has one, given twice)."""
        rim = vertices[-SPOKES:] - self.centre
        angles = np.arctan2(rim[:, 1], rim[:, 0])
        turning = np.sign(np.sum(np.sin(np.diff(np.concatenate([angles, angles[:1]])))))  # the outline's direction
        unwrapped = np.mod(turning * (angles - angles[0]), 2 * np.pi)
        unwrapped[0] = 0.0
        relative = points - self.centre
        spoke = np.searchsorted(unwrapped, np.mod(turning * (np.arctan2(relative[:, 1], relative[:, 0]) - angles[0]),
                                                   2 * np.pi), side="right") - 1
        spoke = np.clip(spoke, 0, SPOKES - 1)
        a, b = rim[spoke], rim[(spoke + 1) % SPOKES]
        determinant = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
        along = ((relative[:, 0] * b[:, 1] - relative[:, 1] * b[:, 0])
                 + (a[:, 0] * relative[:, 1] - a[:, 1] * relative[:, 0])) / determinant  # 1 on the rim
        band = np.clip(np.searchsorted(RING_FRACTIONS, along, side="right") - 1, 0, RINGS - 1)
        outer_band = SPOKES + (band - 1) * 2 * SPOKES + spoke
        return np.where(band[:, None] == 0, spoke[:, None], np.stack([outer_band, outer_band + SPOKES], axis=1))

    @functools.cached_property
    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """(V, 2) canonical vertices (rings from the centre to the outline) and (T, 3) vertex indices.

        The outermost ring is the outline itself (sampled at :data:`SPOKES` points along it), so
        the mesh's silhouette edge is the head outline.
        """
        closed = np.concatenate([self.outline, self.outline[:1]])
        steps = np.linalg.norm(np.diff(closed, axis=0), axis=1)
        along = np.concatenate([[0], np.cumsum(steps)])
        samples = np.linspace(0, along[-1], SPOKES, endpoint=False)
        rim = np.stack([np.interp(samples, along, closed[:, 0]), np.interp(samples, along, closed[:, 1])], axis=1)
        rings = self.centre + RING_FRACTIONS[1:, None, None] * (rim - self.centre)[None]
        vertices = np.concatenate([self.centre[None], rings.reshape(-1, 2)])
        spoke = np.arange(SPOKES)
        triangles = [np.stack([np.zeros(SPOKES, int), 1 + spoke, 1 + (spoke + 1) % SPOKES], axis=1)]
        for ring in range(RINGS - 1):
            inner, outer = 1 + ring * SPOKES, 1 + (ring + 1) * SPOKES
            a, b = inner + spoke, inner + (spoke + 1) % SPOKES
            c, d = outer + spoke, outer + (spoke + 1) % SPOKES
            triangles += [np.stack([a, c, d], axis=1), np.stack([a, d, b], axis=1)]
        return vertices, np.concatenate(triangles)

    def facing_triangles(self, to_image) -> tuple[np.ndarray, np.ndarray]:
        """(V, 2) image pixels of the mesh's vertices and the indices of the triangles that face the camera."""
        vertices, triangles = self.mesh
        pixels = to_image(self.lift(vertices))
        corners, canonical = pixels[triangles], vertices[triangles]
        signed_area = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        winding = np.cross(canonical[:, 1] - canonical[:, 0], canonical[:, 2] - canonical[:, 0])
        return pixels, np.flatnonzero((np.sign(signed_area) == np.sign(winding)) & (np.abs(signed_area) > 1e-9))

    def silhouette_jaw(self, jaw: np.ndarray, to_image) -> np.ndarray:
        """(J, 2) canonical jaw points moved to the visible edge of the head in the image.

        In the image, each jaw point's ray from the projected face centre through the point ends
        where the drawn surface ends: the farthest crossing of the ray with an edge of a triangle
        facing the camera. The point becomes the surface point there: itself where the jaw is the
        visible edge, a point of the cheek where the cheek hides the jaw (the far side under yaw)
        or bulges past it.

        Args:
            jaw: (J, 2) canonical points on the outline.
            to_image: maps (N, 3) surface points to (N, 2) image pixels.
        """
        vertices, triangles = self.mesh
        pixels, facing = self.facing_triangles(to_image)
        edges = triangles[facing][:, [[0, 1], [1, 2], [2, 0]]].reshape(-1, 2)  # (E, 2) vertex pairs
        start, step = pixels[edges[:, 0]], pixels[edges[:, 1]] - pixels[edges[:, 0]]
        origin = to_image(self.lift(self.centre[None]))[0]
        rays = to_image(self.lift(jaw)) - origin  # (J, 2)
        denominator = np.cross(rays[:, None, :], step[None])  # (J, E)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.cross((start - origin)[None], step[None]) / denominator  # along the ray, 1 at the jaw point
            along_edge = np.cross((start - origin)[None], rays[:, None, :]) / denominator
        valid = np.isfinite(reach) & (along_edge >= 0) & (along_edge <= 1) & (reach > 0)
        farthest = np.argmax(np.where(valid, reach, -np.inf), axis=1)
        rows = np.arange(len(jaw))
        fraction = along_edge[rows, farthest][:, None]
        pair = edges[farthest]
        moved = vertices[pair[:, 0]] + fraction * (vertices[pair[:, 1]] - vertices[pair[:, 0]])
        return np.where(valid.any(axis=1)[:, None], moved, jaw)

    def normal_map(self, size: int, computed: int = NORMAL_GRID) -> np.ndarray:
        """(size, size, 3) float32 unit surface normals over the texture's canonical grid (+z toward the camera).

        Computed on a ``computed`` x ``computed`` grid (the relief is smooth) and resized.
        """
        grid = texture_grid(computed)
        height = self.height(grid.reshape(-1, 2)).reshape(computed, computed)
        (x_lo, x_hi), (y_lo, y_hi) = TEXTURE_RANGE
        dz_dy, dz_dx = np.gradient(height, (y_hi - y_lo) / computed, (x_hi - x_lo) / computed)
        normal = np.stack([-dz_dx, -dz_dy, np.ones_like(height)], axis=-1).astype(np.float32)
        normal = optional.cv2().resize(normal, (size, size), interpolation=optional.cv2().INTER_LINEAR)
        return normal / np.linalg.norm(normal, axis=-1, keepdims=True)


def texture_grid(size: int) -> np.ndarray:
    """(size, size, 2) canonical (x, y) at the centres of a size x size texture's pixels."""
    (x_lo, x_hi), (y_lo, y_hi) = TEXTURE_RANGE
    x = x_lo + (np.arange(size) + 0.5) * (x_hi - x_lo) / size
    y = y_lo + (np.arange(size) + 0.5) * (y_hi - y_lo) / size
    return np.stack(np.meshgrid(x, y), axis=-1)


def to_texture(points: np.ndarray, size: int) -> np.ndarray:
    """Canonical (..., 2) -> texture pixel coordinates (pixel centres at integers) of a size x size texture."""
    (x_lo, x_hi), (y_lo, y_hi) = TEXTURE_RANGE
    low, span = np.array([x_lo, y_lo]), np.array([x_hi - x_lo, y_hi - y_lo])
    return (np.asarray(points) - low) / span * size - 0.5


def from_texture(pixels: np.ndarray, size: int) -> np.ndarray:
    """Texture pixel coordinates (..., 2) -> canonical (x, y): the inverse of :func:`to_texture`."""
    (x_lo, x_hi), (y_lo, y_hi) = TEXTURE_RANGE
    low, span = np.array([x_lo, y_lo]), np.array([x_hi - x_lo, y_hi - y_lo])
    return (np.asarray(pixels) + 0.5) / size * span + low


@dataclass
class Light:
    """One distant light in camera space (y down, +z toward the camera) and the skin's response to it."""

    direction: np.ndarray  # (3,) unit vector toward the light
    ambient: float
    gain: float
    specular: float
    shininess: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> "Light":
        """A light in front of the face, above it more often than below; random ambient share and shine."""
        direction = np.array([rng.uniform(-1, 1), rng.uniform(-1, 0.4), rng.uniform(0.3, 1.2)])
        return cls(direction / np.linalg.norm(direction), ambient=float(rng.uniform(0.2, 0.6)),
                   gain=float(rng.uniform(0.9, 1.4)), specular=float(rng.uniform(0, 60)),
                   shininess=float(rng.uniform(8, 40)))

    def apply(self, albedo: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """(N, 3) lit colours of (N, 3) albedos with (N, 3) unit normals."""
        half_vector = (self.direction + [0, 0, 1]) / np.linalg.norm(self.direction + [0, 0, 1])
        diffuse = np.clip(normals @ self.direction, 0, 1)
        shine = self.specular * np.clip(normals @ half_vector, 0, 1) ** self.shininess
        return albedo * (self.ambient + (1 - self.ambient) * diffuse)[:, None] * self.gain + shine[:, None]


def render_head(image: np.ndarray, surface: HeadSurface, texture: np.ndarray, rotation: np.ndarray, to_image,
                light: Light) -> None:
    """Composite the textured, lit head over ``image`` ((H, W, 3) float32, in place).

    Args:
        surface: the head's surface.
        texture: (T, T, 3) float32 albedo over :data:`TEXTURE_RANGE`.
        rotation: (3, 3) the head's rotation (for the normals).
        to_image: maps (N, 3) canonical surface points to (N, 2) image pixels (rotation, camera).
        light: the light.
    """
    cv2 = optional.cv2()
    height, width = image.shape[:2]
    size = texture.shape[0]
    vertices, triangles = surface.mesh
    pixels, keep = surface.facing_triangles(to_image)
    pixels = (pixels + 0.5) * SUPERSAMPLE - 0.5  # pixel centres at integers at either scale
    depth = (surface.lift(vertices) @ rotation.T)[:, 2]
    corners, canonical = pixels[triangles], vertices[triangles]  # (T, 3, 2)
    keep = keep[np.argsort(depth[triangles[keep]].mean(axis=1))]  # back to front
    ids = np.full((height * SUPERSAMPLE, width * SUPERSAMPLE), -1, np.int32)
    fixed = np.round(corners * 16).astype(np.int32)
    for index in keep:
        cv2.fillConvexPoly(ids, fixed[index], int(index), cv2.LINE_8, 4)
    rows, columns = np.nonzero(ids >= 0)
    if not len(rows):
        return
    # each pixel's canonical point: its triangle's affine map from image pixels to canonical (x, y)
    corners_h = np.concatenate([corners[keep], np.ones((len(keep), 3, 1))], axis=2)  # (T', 3 vertices, [x y 1])
    affine = np.zeros((len(triangles), 2, 3))
    affine[keep] = canonical[keep].transpose(0, 2, 1) @ np.linalg.inv(corners_h).transpose(0, 2, 1)
    hits = affine[ids[rows, columns]]
    points = hits[:, :, 0] * columns[:, None] + hits[:, :, 1] * rows[:, None] + hits[:, :, 2]
    texel = np.zeros((*ids.shape, 2), np.float32)  # texture coordinates per pixel (remap wants image-shaped maps)
    texel[rows, columns] = to_texture(points, size)
    albedo = cv2.remap(texture, texel[..., 0], texel[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    normals = cv2.remap(surface.normal_map(size), texel[..., 0], texel[..., 1], cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE)[rows, columns] @ rotation.T.astype(np.float32)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-6
    large = np.zeros((*ids.shape, 3), np.float32)
    cover = np.zeros(ids.shape, np.float32)
    large[rows, columns] = light.apply(albedo[rows, columns], normals)
    cover[rows, columns] = 1
    colour = cv2.resize(large, (width, height), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(cover, (width, height), interpolation=cv2.INTER_AREA)[..., None]
    image[:] = image * (1 - alpha) + colour  # colour is already weighted by coverage
