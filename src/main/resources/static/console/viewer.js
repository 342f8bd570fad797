// Interactive viewer of a job's model.glb (three.js from the webjar): orbit and zoom, wireframe, normals,
// background colour. Draws on demand (after a change) instead of every frame, to leave the CPU to the workers.
import * as THREE from 'three';
import {GLTFLoader} from 'three/addons/loaders/GLTFLoader.js';
import {OrbitControls} from 'three/addons/controls/OrbitControls.js';

export class GlbViewer {
  constructor(canvas) {
    this.canvas = canvas;
    // preserveDrawingBuffer: the picture stays readable after drawing (screenshots, toDataURL)
    this.renderer = new THREE.WebGLRenderer({canvas, antialias: true, preserveDrawingBuffer: true});
    this.renderer.setPixelRatio(1);
    this.renderer.setSize(canvas.width, canvas.height, false);
    this.scene = new THREE.Scene();
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.0));
    const sun = new THREE.DirectionalLight(0xffffff, 1.5);
    sun.position.set(2, 3, 4);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(40, canvas.width / canvas.height, 0.01, 100);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.addEventListener('change', () => this.draw());
    this.meshes = [];
    this.normalMaterial = new THREE.MeshNormalMaterial();
    this.setBackground('#20242c');
  }

  /** Loads the GLB bytes (an ArrayBuffer); resolves with the number of triangles shown. */
  async load(arrayBuffer) {
    const gltf = await new GLTFLoader().parseAsync(arrayBuffer, '');
    if (this.model) this.scene.remove(this.model);
    this.model = gltf.scene;
    this.meshes = [];
    let triangles = 0;
    this.model.traverse(node => {
      if (node.isMesh) {
        node.userData.original = node.material;
        this.meshes.push(node);
        const index = node.geometry.index;
        triangles += (index ? index.count : node.geometry.attributes.position.count) / 3;
      }
    });
    this.scene.add(this.model);
    this.frame();
    this.applyMaterials();
    return triangles;
  }

  /** Camera looking at the whole model from a three-quarter view. */
  frame() {
    const box = new THREE.Box3().setFromObject(this.model);
    const center = box.getCenter(new THREE.Vector3());
    const radius = Math.max(box.getSize(new THREE.Vector3()).length() / 2, 1e-3);
    const distance = radius / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2)) * 1.1;
    this.camera.position.copy(center).add(new THREE.Vector3(0.6, 0.5, 1).normalize().multiplyScalar(distance));
    this.camera.near = distance / 100;
    this.camera.far = distance * 10;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(center);
    this.controls.update();
    this.draw();
  }

  setWireframe(on) {
    this.wireframe = on;
    this.applyMaterials();
  }

  setNormals(on) {
    this.normals = on;
    this.applyMaterials();
  }

  setBackground(colour) {
    this.scene.background = new THREE.Color(colour);
    this.draw();
  }

  applyMaterials() {
    for (const mesh of this.meshes) {
      mesh.material = this.normals ? this.normalMaterial : mesh.userData.original;
      mesh.material.wireframe = !!this.wireframe;
    }
    this.normalMaterial.wireframe = !!this.wireframe;
    this.draw();
  }

  draw() {
    this.renderer.render(this.scene, this.camera);
  }

  dispose() {
    this.controls.dispose();
    this.renderer.dispose();
  }
}
